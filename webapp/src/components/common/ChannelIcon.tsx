// The icon of a channel's type (public, private, direct, group), shown beside the channel's name in the call UI.
import React from 'react';

import {GlobeIcon, LockIcon, PeopleIcon, PersonIcon} from './icons';
import type {ChannelInfo} from '../../types';

export function ChannelIcon({channel, size = 12}: {channel?: ChannelInfo; size?: number}) {
  switch (channel?.type) {
    case 'P':
      return <LockIcon size={size} />;
    case 'D':
      return <PersonIcon size={size} />;
    case 'G':
      return <PeopleIcon size={size} />;
    default:
      return <GlobeIcon size={size} />;
  }
}
