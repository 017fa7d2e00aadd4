// A minimal accessible dialog: labelled by its title, closes on Escape, on the close button and on a backdrop click.
import React, {useId} from 'react';
import {useIntl} from 'react-intl';

import {useEscapeKey} from '../common/hooks';
import {CloseIcon} from '../common/icons';

export function Modal({
  id,
  title,
  onClose,
  children,
  footer,
  closeClassName = '',
}: {
  id: string;
  title: React.ReactNode;
  onClose: () => void;
  children: React.ReactNode;
  footer?: React.ReactNode;
  closeClassName?: string;
}) {
  const {formatMessage} = useIntl();
  const titleID = useId();
  useEscapeKey(onClose);
  return (
    <div
      className="calls-modal-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) {
          onClose();
        }
      }}
    >
      <div id={id} className="calls-modal a11y__modal" role="dialog" aria-modal="true" aria-labelledby={titleID}>
        <button
          className={`calls-modal-close ${closeClassName}`.trim()}
          aria-label={formatMessage({id: 'calls.modal.close', defaultMessage: 'Close'})}
          onClick={onClose}
        >
          <CloseIcon />
        </button>
        <h2 id={titleID}>{title}</h2>
        <div>{children}</div>
        {footer && <div className="calls-modal-footer">{footer}</div>}
      </div>
    </div>
  );
}
