// Settings saved on another node of a cluster reach this one as that node's config_changed event: this node re-reads
// them before its own clients see the event (they refetch GET /config from this node), and does not announce them a
// second time (the saving node already told every client).
import type {Logger} from '../log';
import {CALLS_PREFIX} from '../protocol';
import type {WebSocketEvent} from '../ws/types';
import type {ConfigService} from './service';

export class PeerSettings {
  #reloading = false;

  constructor(
    private readonly config: ConfigService,
    private readonly deliverLocal: (ev: WebSocketEvent) => void,
    private readonly log: Logger,
  ) {}

  /** Whether a change of the config comes from another node (then it is not announced again). */
  get reloading(): boolean {
    return this.#reloading;
  }

  /** An event from another node: settings re-read first when it says they changed, then delivered here. */
  async fromPeer(ev: WebSocketEvent): Promise<void> {
    if (ev.event === `${CALLS_PREFIX}config_changed`) {
      this.#reloading = true;
      try {
        await this.config.reload();
      } catch (err) {
        this.log.error({err: (err as Error).message}, 'settings saved on another node could not be read');
      } finally {
        this.#reloading = false;
      }
    }
    this.deliverLocal(ev);
  }
}
