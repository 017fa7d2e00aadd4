// The host's desktop notifications (Mattermost's WebappUtils.sendDesktopNotificationToMe): a thunk that shows a
// browser Notification when the permission was granted; clicking it focuses the page and opens the url.
import {navigate} from './router';

type Thunk = () => {status: string};

export function sendDesktopNotificationToMe(
  title: string,
  body: string,
  _channel: unknown,
  _teamId: string,
  silent: boolean,
  _soundName: string,
  url: string,
): Thunk {
  return () => {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') {
      return {status: 'not_sent'};
    }
    const n = new Notification(title, {body, silent, tag: url});
    n.onclick = () => {
      window.focus();
      navigate(url);
      n.close();
    };
    return {status: 'success'};
  };
}
