// A <video> bound to a MediaStream (screen shares are muted: their audio plays through the hidden audio elements).
import React, {useEffect, useRef} from 'react';

export function ScreenPlayer({stream, id, mirror = false}: {stream: MediaStream | null; id: string; mirror?: boolean}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) {
      return;
    }
    if (el.srcObject !== stream) {
      el.srcObject = stream;
    }
    if (stream) {
      el.play?.()?.catch?.(() => undefined);
    }
  }, [stream]);
  return (
    <video
      id={id}
      ref={ref}
      autoPlay={true}
      muted={true}
      playsInline={true}
      style={mirror ? {transform: 'scaleX(-1)'} : undefined}
    />
  );
}
