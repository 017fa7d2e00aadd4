// The small "×" that dismisses a banner or an alert, named "Dismiss" for screen readers.
import React from 'react';
import {useIntl} from 'react-intl';

import {CloseIcon} from './icons';

export function BannerCloseButton({
  onClick,
  className = 'calls-btn calls-banner-close',
}: {
  onClick: () => void;
  className?: string;
}) {
  const {formatMessage} = useIntl();
  return (
    <button
      className={className}
      aria-label={formatMessage({id: 'calls.alert.dismiss', defaultMessage: 'Dismiss'})}
      onClick={onClick}
    >
      <CloseIcon size={12} />
    </button>
  );
}
