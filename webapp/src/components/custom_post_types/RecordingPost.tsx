// The calls bot's recording post, post type custom_calls_recording (reference webapp.md §2.9): "Here's the call
// recording" and a player for each attached video, served by /api/v4/files/{id} with the channel's permission checks.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {basename} from '../../client/rest';
import {callsConfig, type GlobalState} from '../../state/selectors';
import type {PostFileInfo, PostTypeProps} from '../../types';

const FILE_ID = /^[a-z0-9]{26}$/;

/** The post's files: metadata.files when the server sent them, else file_ids; ids that are not ids are dropped. */
export function recordingFiles(post: PostTypeProps['post']): PostFileInfo[] {
  const fromMeta = post.metadata?.files || [];
  const list: PostFileInfo[] = fromMeta.length ? fromMeta : (post.file_ids || []).map((id) => ({id}));
  return list.filter((f) => typeof f?.id === 'string' && FILE_ID.test(f.id));
}

export function fileURL(fileID: string): string {
  return `${basename()}/api/v4/files/${fileID}`;
}

export function RecordingPost({post}: PostTypeProps) {
  const {formatMessage} = useIntl();
  const transcribing = useSelector((s: GlobalState) => callsConfig(s).EnableTranscriptions);
  const files = recordingFiles(post).filter((f) => !f.mime_type || f.mime_type.startsWith('video/'));
  return (
    <div className="calls-recording-post" data-testid="calls-recording-post">
      <div className="calls-recording-post-text">
        {transcribing
          ? formatMessage({
              id: 'calls.recording.post_transcribing',
              defaultMessage: "Here's the call recording. Transcription is processing and will be posted when ready.",
            })
          : formatMessage({id: 'calls.recording.post', defaultMessage: "Here's the call recording"})}
      </div>
      {files.map((f) => (
        <RecordingFilePreview key={f.id} file={f} />
      ))}
    </div>
  );
}

/** An HTML5 player for one recording file; the browser fetches it with Range requests as it plays. */
export function RecordingFilePreview({file}: {file: PostFileInfo}) {
  const {formatMessage} = useIntl();
  const name = file.name || formatMessage({id: 'calls.recording.file', defaultMessage: 'Call recording'});
  return (
    <figure className="calls-recording-file" style={{margin: 0}}>
      <video
        className="calls-recording-video"
        data-testid="calls-recording-video"
        data-file-id={file.id}
        src={fileURL(file.id)}
        controls={true}
        preload="metadata"
        aria-label={name}
      />
      <figcaption>
        <a href={`${fileURL(file.id)}?download=1`} download={file.name || true}>
          {name}
        </a>
      </figcaption>
    </figure>
  );
}
