// A user's round profile picture, with the speaking glow ring used across the call UI.
import React from 'react';

import {basename} from '../../client/rest';

export function avatarURL(userID: string): string {
  return `${basename()}/api/v4/users/${userID}/image`;
}

export function Avatar({
  userID,
  size = 24,
  speaking = false,
  alt = '',
}: {
  userID: string;
  size?: number;
  speaking?: boolean;
  alt?: string;
}) {
  return (
    <img
      className={`calls-avatar${speaking ? ' calls-avatar--speaking' : ''}`}
      src={avatarURL(userID)}
      width={size}
      height={size}
      alt={alt}
      style={{width: size, height: size}}
    />
  );
}
