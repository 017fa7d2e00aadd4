// The plugin's stylesheet, injected once at initialize so the bundle is self-contained (no CSS loader, no host CSS).

const css = `
:root { --calls-bg: #1e325c; --calls-bg-rgb: 30,50,92; --calls-badge-bg: #d24b4e; --calls-online: #3db887; }
.calls-avatar { border-radius: 50%; object-fit: cover; background: #ccc; flex: none; }
.calls-avatar--speaking { box-shadow: 0 0 0 2px #fff, 0 0 0 4px var(--calls-online); }
.calls-btn { display: inline-flex; align-items: center; justify-content: center; gap: 4px; border: 0; border-radius: 4px;
  padding: 6px 8px; cursor: pointer; background: rgba(255,255,255,0.08); color: inherit; font: inherit; }
.calls-btn:hover { background: rgba(255,255,255,0.16); }
.calls-btn:disabled { opacity: 0.48; cursor: not-allowed; }
.calls-btn--on { background: var(--calls-online); color: #fff; }
.calls-btn--danger { background: var(--calls-badge-bg); color: #fff; }
.calls-btn--active { background: rgba(255,255,255,0.24); }
.calls-btn--unavailable { color: #aaa; position: relative; background: rgba(210,75,78,0.16); }
.calls-btn-badge { position: absolute; top: 1px; right: 1px; min-width: 12px; height: 12px; border-radius: 6px;
  background: var(--calls-badge-bg); color: #fff; font-size: 9px; font-weight: 700; line-height: 12px; text-align: center; }

#calls-join-button { display: inline-flex; align-items: center; gap: 6px; padding: 4px 10px; border-radius: 4px;
  background: var(--calls-online); color: #fff; font-weight: 600; font-size: 12px; }
#calls-join-button[data-state="disabled"], #calls-join-button[data-state="connecting"], #calls-join-button[data-state="in_call"] { opacity: 0.6; }
#calls-join-button[data-state="disabled"] { cursor: not-allowed; }

#calls-widget { position: fixed; left: 12px; bottom: 12px; z-index: 1000; width: 280px; background: var(--calls-bg);
  color: #fff; border-radius: 8px; box-shadow: 0 8px 24px rgba(0,0,0,0.3); font-size: 14px; user-select: none; }
.calls-widget-header { display: flex; align-items: center; gap: 8px; padding: 10px 12px 6px; cursor: move; }
.calls-widget-header-text { flex: 1; min-width: 0; }
.calls-widget-speaking { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-weight: 600; }
.calls-widget-meta { display: flex; gap: 6px; align-items: center; font-size: 12px; opacity: 0.8; }
.calls-widget-channel-link { color: inherit; background: none; border: 0; padding: 0; cursor: pointer; display: inline-flex;
  gap: 3px; align-items: center; font: inherit; max-width: 140px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.calls-widget-bottom-bar { display: flex; gap: 6px; padding: 6px 12px 10px; align-items: center; }
.calls-widget-bottom-bar .calls-spacer { flex: 1; }
.calls-recording-badge { background: var(--calls-badge-bg); color: #fff; border-radius: 4px; padding: 0 4px; font-weight: 700; font-size: 11px; }
.calls-widget-stack { display: flex; flex-direction: column; gap: 6px; padding: 0 8px 8px; }
.calls-notices { display: contents; }
.calls-banner { display: flex; gap: 8px; align-items: flex-start; padding: 8px; border-radius: 6px; background: #fff; color: #3f4350; font-size: 12px; }
.calls-banner--error { background: #fdecec; color: #a41b1b; }
.calls-banner--warning { background: #fff6e0; color: #6b4d00; }
.calls-banner button { margin-left: auto; }
.calls-banner--recording { flex-direction: column; gap: 6px; }
.calls-banner--recording .calls-banner-actions { display: flex; gap: 6px; justify-content: flex-end; width: 100%; }
.calls-banner--recording .calls-banner-actions button { margin-left: 0; }
.calls-banner--info { background: #fff; color: #3f4350; }
.calls-recording-badge { display: inline-flex; gap: 4px; align-items: center; }
.calls-recording-badge--button { border: 0; cursor: pointer; font: inherit; font-weight: 700; font-size: 11px; }
.calls-spinner { width: 8px; height: 8px; border: 2px solid rgba(255,255,255,.4); border-top-color: #fff; border-radius: 50%; animation: calls-spin 1s linear infinite; }
@keyframes calls-spin { to { transform: rotate(360deg); } }
.calls-recording-video { display: block; max-width: 100%; max-height: 360px; margin-top: 6px; border-radius: 4px; background: #000; }
.calls-post-counters { display: flex; gap: 8px; font-size: 12px; opacity: .8; width: 100%; }
.calls-notice { padding: 6px 8px; border-radius: 6px; background: rgba(255,255,255,0.12); font-size: 12px; }
.calls-inline-icon { display: inline-flex; vertical-align: -2px; margin: 0 2px; }
.calls-menu { background: #fff; color: #3f4350; border-radius: 6px; box-shadow: 0 6px 20px rgba(0,0,0,0.25); padding: 6px 0;
  min-width: 220px; font-size: 13px; }
.calls-menu [role="menuitem"], .calls-menu button { display: block; width: 100%; text-align: left; background: none; border: 0;
  padding: 6px 14px; cursor: pointer; font: inherit; color: inherit; }
.calls-menu [role="menuitem"]:hover { background: rgba(0,0,0,0.06); }
.calls-menu .calls-menu-title { padding: 4px 14px; font-size: 11px; text-transform: uppercase; opacity: 0.64; }
.calls-menu .calls-menu-danger { color: #d24b4e; }
.calls-tooltip { position: fixed; z-index: 2147483000; max-width: 280px; padding: 6px 10px; border-radius: 4px;
  background: #1b1d22; color: #fff; font-size: 12px; font-weight: 600; line-height: 16px; pointer-events: none;
  display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; box-shadow: 0 4px 12px rgba(0,0,0,0.24); }
.calls-tooltip-keys { display: inline-flex; gap: 2px; }
.calls-tooltip kbd { display: inline-block; min-width: 18px; padding: 0 4px; border-radius: 4px; background: rgba(255,255,255,0.16);
  color: rgba(255,255,255,0.88); font: inherit; font-size: 11px; line-height: 18px; text-align: center; }
.calls-tooltip-hint { flex-basis: 100%; font-weight: 400; opacity: 0.72; }
.calls-menu .calls-menu-separator { height: 1px; margin: 6px 0; background: rgba(63,67,80,0.16); }
.calls-settings-button { padding: 6px 12px; border: 0; border-radius: 4px; background: rgba(28,88,217,0.08); color: #1c58d9;
  font: inherit; font-weight: 600; cursor: pointer; }
.calls-settings-button:hover { background: rgba(28,88,217,0.16); }
.calls-settings-button--primary { background: #1c58d9; color: #fff; }
.calls-settings-button--primary:hover { background: #1a4fc4; }
.calls-menu .calls-menu-sub { display: block; font-size: 11px; opacity: 0.64; }
.calls-menu-popup { position: absolute; bottom: 100%; margin-bottom: 6px; z-index: 1001; }
.calls-participants-list { max-height: 240px; overflow: auto; background: #fff; color: #3f4350; border-radius: 6px; margin: 0 8px 8px; }
.calls-participants-list h4 { margin: 0; padding: 8px 12px; font-size: 12px; text-transform: uppercase; opacity: 0.7; }
.calls-participant { display: flex; align-items: center; gap: 8px; padding: 4px 12px; }
.calls-participant-name { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.calls-host-badge { font-size: 10px; font-weight: 700; background: rgba(0,0,0,0.08); border-radius: 3px; padding: 0 4px; }
.calls-icon-muted { color: #999; }
.calls-icon-unmuted { color: var(--calls-online); }
.calls-icon-hand { color: #ffbc1f; }
.calls-icon-screen { color: #5d89ea; }
.calls-loading-overlay { position: absolute; inset: 0; background: rgba(var(--calls-bg-rgb),0.92); display: flex;
  align-items: center; justify-content: center; border-radius: 8px; font-weight: 600; z-index: 2; }
.calls-screen-panel { background: #000; border-radius: 6px; overflow: hidden; position: relative; }
.calls-screen-panel video { width: 100%; display: block; max-height: 160px; background: #000; }
.calls-screen-panel-footer { display: flex; gap: 6px; align-items: center; padding: 4px 8px; font-size: 12px; background: rgba(255,255,255,0.08); }

#calls-expanded-view { position: fixed; inset: 0; z-index: 1100; background: var(--calls-bg); color: #fff; display: flex;
  flex-direction: column; font-size: 14px; }
.calls-expanded-top { display: flex; gap: 12px; align-items: center; padding: 12px 16px; }
.calls-expanded-top .calls-spacer { flex: 1; }
.calls-expanded-body { flex: 1; display: flex; min-height: 0; }
.calls-expanded-center { flex: 1; display: flex; align-items: center; justify-content: center; padding: 16px; min-width: 0; position: relative; }
.calls-expanded-grid { display: flex; flex-wrap: wrap; gap: 24px; justify-content: center; align-content: center; }
.calls-tile { display: flex; flex-direction: column; align-items: center; gap: 8px; width: 160px; position: relative; }
.calls-tile video { width: 100%; aspect-ratio: 16 / 9; background: #000; border-radius: 8px; object-fit: cover; }
.calls-tile--video { width: 320px; }
.calls-widget-video-bar { display: flex; gap: 6px; padding: 0 12px 6px; }
.calls-widget-video-tile { flex: 1; position: relative; aspect-ratio: 4 / 3; background: rgba(0,0,0,0.35); border-radius: 6px;
  display: flex; align-items: center; justify-content: center; overflow: hidden; }
.calls-widget-video-tile video { width: 100%; height: 100%; object-fit: cover; }
.calls-widget-video-tile--speaking { box-shadow: 0 0 0 2px #fff; }
.calls-widget-video-tile .calls-tile-badges { position: absolute; right: 4px; bottom: 4px; min-height: 0; }
.calls-tile-badges { display: flex; gap: 4px; align-items: center; min-height: 20px; }
.calls-expanded-screen { display: flex; flex-direction: column; width: 100%; height: 100%; gap: 8px; }
.calls-expanded-screen-stage { flex: 1; min-height: 0; display: flex; position: relative; }
.calls-expanded-screen video { flex: 1; min-height: 0; width: 100%; background: #000; border-radius: 8px; object-fit: contain; }
#calls-expanded-view-controls { display: flex; gap: 12px; justify-content: center; padding: 16px; position: relative; }
#calls-expanded-view-controls .calls-btn { padding: 10px 14px; }
.calls-expanded-view--popout#calls-expanded-view { position: relative; inset: auto; z-index: auto; height: 100%; min-height: 0; }
.calls-expanded-overlay { position: absolute; top: 16px; left: 16px; display: flex; flex-direction: column; gap: 6px; max-width: 320px; }
.calls-expanded-screen-footer { display: flex; align-items: center; gap: 8px; }
.calls-expanded-screen:fullscreen { background: #000; padding: 8px; }
.calls-unread-dot { background: var(--calls-badge-bg); color: #fff; border-radius: 8px; font-size: 10px; font-weight: 700;
  min-width: 16px; padding: 0 4px; line-height: 16px; }
.calls-popout-empty { display: flex; align-items: center; justify-content: center; height: 100%; padding: 24px; text-align: center; }
#rhs-participant-list { width: 280px; background: #fff; color: #3f4350; overflow: auto; }
#rhs-participant-list header { display: flex; align-items: center; padding: 12px; font-weight: 600; }
#rhs-participant-list header .calls-spacer { flex: 1; }
#calls-popout-emoji-bar { position: absolute; bottom: 100%; display: flex; gap: 4px; background: #fff; color: #3f4350;
  border-radius: 8px; padding: 6px; box-shadow: 0 6px 20px rgba(0,0,0,0.25); }
#calls-popout-emoji-bar button { font-size: 20px; background: none; border: 0; cursor: pointer; padding: 4px; border-radius: 4px; }
#calls-popout-emoji-bar button:hover { background: rgba(0,0,0,0.08); }
.calls-reaction-stream { position: absolute; left: 16px; bottom: 16px; display: flex; flex-direction: column-reverse; gap: 4px; }
.calls-emoji { display: inline-block; vertical-align: middle; background-repeat: no-repeat; }
.calls-emoji--text { width: auto; height: auto; line-height: 1; }
#calls-popout-emoji-bar button { display: inline-flex; align-items: center; }
.calls-emoji-picker { position: absolute; bottom: calc(100% + 8px); right: 0; width: 336px; height: 360px; display: flex;
  flex-direction: column; background: #fff; color: #3f4350; border-radius: 8px; box-shadow: 0 6px 20px rgba(0,0,0,0.25);
  padding: 8px; cursor: default; }
.calls-emoji-search { padding: 6px 10px; border: 1px solid rgba(63,67,80,0.24); border-radius: 4px; font: inherit; font-size: 14px; }
.calls-emoji-results { flex: 1; overflow: auto; margin-top: 8px; }
.calls-emoji-category { font-size: 11px; font-weight: 600; text-transform: uppercase; opacity: 0.64; padding: 6px 2px 2px; }
.calls-emoji-grid { display: grid; grid-template-columns: repeat(9, 1fr); }
#calls-popout-emoji-bar .calls-emoji-choice { padding: 4px; justify-content: center; }
.calls-emoji-empty { display: block; padding: 12px; font-size: 13px; opacity: 0.72; }
.calls-reaction-chip { background: rgba(255,255,255,0.16); border-radius: 12px; padding: 2px 10px; font-size: 13px; }

#calls-incoming-calls { position: fixed; left: 12px; bottom: 12px; z-index: 102; display: flex; flex-direction: column; gap: 8px;
  width: 300px; }
.calls-incoming { background: var(--calls-bg); color: #fff; border-radius: 8px; padding: 12px; box-shadow: 0 8px 24px rgba(0,0,0,0.3);
  display: flex; flex-direction: column; gap: 10px; font-size: 13px; }
.calls-incoming-body { display: flex; gap: 8px; align-items: center; cursor: pointer; }
.calls-incoming-buttons { display: flex; gap: 8px; justify-content: flex-end; }
.calls-incoming--condensed { flex-direction: row; align-items: center; padding: 6px 8px; gap: 6px; }
.calls-incoming--condensed .calls-incoming-body { flex: 1; min-width: 0; }
.calls-post { display: flex; gap: 12px; align-items: center; border: 1px solid rgba(0,0,0,0.16); border-radius: 4px;
  padding: 12px; max-width: 640px; flex-wrap: wrap; background: #fff; }
.calls-post h3 { margin: 0 0 4px; font-size: 16px; width: 100%; }
.calls-post-icon { width: 40px; height: 40px; border-radius: 4px; display: flex; align-items: center; justify-content: center;
  color: #fff; background: var(--calls-online); flex: none; }
.calls-post--ended .calls-post-icon { background: rgba(0,0,0,0.32); }
.calls-post-text { flex: 1; min-width: 160px; }
.calls-post-title { font-weight: 600; }
.calls-post-sub { font-size: 12px; opacity: 0.72; }
.calls-post-avatars { display: flex; }
.calls-post-avatars img { margin-left: -6px; border: 2px solid #fff; }
.calls-post-button { border: 0; border-radius: 4px; padding: 8px 14px; font-weight: 600; cursor: pointer; background: var(--calls-online); color: #fff; }
.calls-post-button--leave { background: var(--calls-badge-bg); }
.calls-post-button:disabled { opacity: 0.45; cursor: not-allowed; filter: grayscale(1); }

#calls-channel-toast { display: flex; gap: 8px; align-items: center; background: var(--calls-online); color: #fff; border-radius: 4px;
  padding: 6px 12px; font-size: 13px; }
#calls-channel-toast button { background: none; border: 0; color: inherit; cursor: pointer; font: inherit; }

.calls-modal-backdrop { position: fixed; inset: 0; background: rgba(0,0,0,0.5); z-index: 1200; display: flex; align-items: center; justify-content: center; }
.calls-modal { background: #fff; color: #3f4350; border-radius: 8px; padding: 24px; width: 480px; max-width: 90vw;
  box-shadow: 0 20px 32px rgba(0,0,0,0.12); position: relative; }
.calls-modal h2 { margin: 0 0 12px; font-size: 20px; }
.calls-modal-footer { display: flex; gap: 8px; justify-content: flex-end; margin-top: 20px; }
.calls-modal-close { position: absolute; top: 12px; right: 12px; background: none; border: 0; cursor: pointer; }
.calls-modal .calls-btn { background: rgba(0,0,0,0.06); }
.calls-modal .calls-btn--primary { background: #1c58d9; color: #fff; }
.calls-admin-setting { display: flex; flex-direction: column; gap: 4px; margin-bottom: 16px; }
.calls-admin-setting .calls-admin-help { font-size: 12px; opacity: 0.72; }
.calls-admin-setting textarea { min-height: 80px; font-family: monospace; }
.calls-admin-error { color: #d24b4e; font-size: 12px; }
.calls-sidebar-icon { color: var(--calls-online); display: inline-flex; margin-left: 4px; }
.calls-connectivity-verdict { font-weight: 600; padding: 8px 12px; border-radius: 4px; background: #f0f4f8; }
.calls-connectivity-verdict--udp { background: #e6f4ea; }
.calls-connectivity-verdict--tcp_only, .calls-connectivity-verdict--relay_only, .calls-connectivity-verdict--inbound_only { background: #fff4e0; }
.calls-connectivity-verdict--no_route { background: #fde8e8; }
.calls-connectivity-table, .calls-conn-table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
.calls-connectivity-table th, .calls-connectivity-table td, .calls-conn-table th, .calls-conn-table td { text-align: left; padding: 4px 8px; border-bottom: 1px solid rgba(63,67,80,0.12); vertical-align: top; }
.calls-conn-badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 11px; font-weight: 600; }
.calls-conn-badge--ok { background: #e6f4ea; color: #1e6b34; }
.calls-conn-badge--warning { background: #fff4e0; color: #8a5300; }
.calls-conn-badge--error { background: #fde8e8; color: #a01b1b; }
.calls-conn-notes li { color: #a01b1b; }
`;

let injected = false;

export function injectStyles(): void {
  if (injected || typeof document === 'undefined') {
    return;
  }
  injected = true;
  const el = document.createElement('style');
  el.id = 'calls-plugin-styles';
  el.textContent = css;
  document.head.appendChild(el);
}
