// Inline SVG icons, so the bundle needs no icon font from the host.
import React from 'react';

type P = {size?: number; className?: string};

const svg = (path: React.ReactNode) =>
  function Icon({size = 16, className}: P) {
    return (
      <svg width={size} height={size} viewBox="0 0 24 24" fill="currentColor" aria-hidden="true" className={className}>
        {path}
      </svg>
    );
  };

export const MicIcon = svg(
  <path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z" />,
);
export const MicOffIcon = svg(
  <path d="M19 11h-1.7c0 .74-.16 1.43-.43 2.05l1.23 1.23c.56-.98.9-2.09.9-3.28zm-4.02.17c0-.06.02-.11.02-.17V5a3 3 0 0 0-6 0v.18l5.98 5.99zM4.27 3 3 4.27l6.01 6.01V11a3 3 0 0 0 4.25 2.72l1.66 1.66A5 5 0 0 1 7 11H5a7 7 0 0 0 6 6.92V21h2v-3.08a6.9 6.9 0 0 0 2.54-.9L19.73 21 21 19.73 4.27 3z" />,
);
export const HandIcon = svg(
  <path d="M21 7v10a6 6 0 0 1-6 6h-1.5a6 6 0 0 1-4.8-2.4L3.2 13.3a1.6 1.6 0 0 1 2.3-2.2L8 13.3V4.5a1.5 1.5 0 0 1 3 0V11h1V2.5a1.5 1.5 0 0 1 3 0V11h1V4a1.5 1.5 0 0 1 3 0v7h1V7a1.5 1.5 0 0 1 3 0z" />,
);
export const ScreenIcon = svg(
  <path d="M20 18a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2H0v2h24v-2h-4zM4 6h16v10H4V6z" />,
);
export const VideoIcon = svg(
  <path d="M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11l-4 4z" />,
);
export const VideoOffIcon = svg(
  <path d="M3.27 2 2 3.27 4.73 6H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12c.21 0 .39-.08.55-.18L19.73 21 21 19.73 3.27 2zM21 6.5l-4 4V7a1 1 0 0 0-1-1H9.82L21 17.18V6.5z" />,
);
export const LeaveIcon = svg(
  <path d="M12 9c-1.6 0-3.15.25-4.6.72v3.1c0 .39-.23.74-.56.9-.98.49-1.87 1.12-2.66 1.85-.18.18-.43.28-.7.28a1 1 0 0 1-.71-.29L.29 13.08A1 1 0 0 1 0 12.38c0-.28.11-.53.29-.71A16.9 16.9 0 0 1 12 7c4.57 0 8.7 1.81 11.71 4.67.18.18.29.43.29.71 0 .28-.11.53-.29.71l-2.48 2.48a1 1 0 0 1-.71.29c-.27 0-.52-.11-.7-.28a11.3 11.3 0 0 0-2.67-1.85.99.99 0 0 1-.56-.9v-3.1C15.15 9.25 13.6 9 12 9z" />,
);
export const PeopleIcon = svg(
  <path d="M16 11a3 3 0 1 0-3-3 3 3 0 0 0 3 3zm-8 0a3 3 0 1 0-3-3 3 3 0 0 0 3 3zm0 2c-2.33 0-7 1.17-7 3.5V19h14v-2.5C15 14.17 10.33 13 8 13zm8 0c-.29 0-.62.02-.97.05A4.22 4.22 0 0 1 17 16.5V19h6v-2.5c0-2.33-4.67-3.5-7-3.5z" />,
);
export const ExpandIcon = svg(
  <path d="M4 4h6v2H7.41l3.3 3.29-1.42 1.42L6 7.41V10H4V4zm16 0v6h-2V7.41l-3.29 3.3-1.42-1.42L16.59 6H14V4h6zM4 20v-6h2v2.59l3.29-3.3 1.42 1.42L7.41 18H10v2H4zm16 0h-6v-2h2.59l-3.3-3.29 1.42-1.42L18 16.59V14h2v6z" />,
);
export const CollapseIcon = svg(
  <path d="M10 4v6H4V8h2.59l-3.3-3.29 1.42-1.42L8 6.59V4h2zm4 0h2v2.59l3.29-3.3 1.42 1.42L17.41 8H20v2h-6V4zM4 14h6v6H8v-2.59l-3.29 3.3-1.42-1.42L6.59 16H4v-2zm10 0h6v2h-2.59l3.3 3.29-1.42 1.42L16 17.41V20h-2v-6z" />,
);
export const DotsIcon = svg(
  <path d="M6 10a2 2 0 1 0 2 2 2 2 0 0 0-2-2zm6 0a2 2 0 1 0 2 2 2 2 0 0 0-2-2zm6 0a2 2 0 1 0 2 2 2 2 0 0 0-2-2z" />,
);
export const PhoneIcon = svg(
  <path d="M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1L6.6 10.8z" />,
);
export const SmileIcon = svg(
  <path d="M12 2a10 10 0 1 0 10 10A10 10 0 0 0 12 2zm0 18a8 8 0 1 1 8-8 8 8 0 0 1-8 8zm3.5-9A1.5 1.5 0 1 0 14 9.5 1.5 1.5 0 0 0 15.5 11zm-7 0A1.5 1.5 0 1 0 7 9.5 1.5 1.5 0 0 0 8.5 11zM12 17.5a5.5 5.5 0 0 0 5.11-3.5H6.89A5.5 5.5 0 0 0 12 17.5z" />,
);
export const CloseIcon = svg(
  <path d="M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z" />,
);
export const LockIcon = svg(
  <path d="M18 8h-1V6A5 5 0 0 0 7 6v2H6a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V10a2 2 0 0 0-2-2zM9 6a3 3 0 0 1 6 0v2H9V6z" />,
);
export const GlobeIcon = svg(
  <path d="M12 2a10 10 0 1 0 10 10A10 10 0 0 0 12 2zm6.93 6h-2.95a15.7 15.7 0 0 0-1.38-3.56A8 8 0 0 1 18.93 8zM12 4.04A14 14 0 0 1 13.91 8h-3.82A14 14 0 0 1 12 4.04zM4.26 14a7.9 7.9 0 0 1 0-4h3.38a16.5 16.5 0 0 0 0 4H4.26zm.81 2h2.95a15.7 15.7 0 0 0 1.38 3.56A8 8 0 0 1 5.07 16zM8.02 8H5.07a8 8 0 0 1 4.33-3.56A15.7 15.7 0 0 0 8.02 8zM12 19.96A14 14 0 0 1 10.09 16h3.82A14 14 0 0 1 12 19.96zM14.34 14H9.66a14.7 14.7 0 0 1 0-4h4.68a14.7 14.7 0 0 1 0 4zm.25 5.56A15.7 15.7 0 0 0 15.98 16h2.95a8 8 0 0 1-4.34 3.56zM16.36 14a16.5 16.5 0 0 0 0-4h3.38a7.9 7.9 0 0 1 0 4h-3.38z" />,
);
export const PersonIcon = svg(
  <path d="M12 12a4 4 0 1 0-4-4 4 4 0 0 0 4 4zm0 2c-2.67 0-8 1.34-8 4v2h16v-2c0-2.66-5.33-4-8-4z" />,
);
export const ChatIcon = svg(
  <path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm2 4v2h12V8H6zm0 4v2h8v-2H6z" />,
);
export const RecordIcon = svg(
  <path d="M12 7a5 5 0 1 0 5 5 5 5 0 0 0-5-5zm0-5a10 10 0 1 0 10 10A10 10 0 0 0 12 2zm0 18a8 8 0 1 1 8-8 8 8 0 0 1-8 8z" />,
);
