import {CONFIG_DEFAULTS, parseRecorderConfig} from './config';

const ID = 'abcdefghijklmnopqrstuvwxyz';
const base = {SITE_URL: 'http://127.0.0.1:8065', AUTH_TOKEN: ID, CALL_ID: ID, POST_ID: ID, RECORDING_ID: ID};

describe('parseRecorderConfig', () => {
  it('applies the reference defaults when values are empty or 0', () => {
    const cfg = parseRecorderConfig({...base, WIDTH: '0', HEIGHT: '', FRAME_RATE: '0'});
    expect(cfg).toMatchObject({siteURL: 'http://127.0.0.1:8065', ...CONFIG_DEFAULTS, ffmpegPath: 'ffmpeg'});
    expect(cfg.dataDir).toMatch(/calls-recorder$/);
  });

  it('takes a quality profile as the plugin sends it', () => {
    const cfg = parseRecorderConfig({
      ...base,
      SITE_URL: 'https://chat.example.com/',
      WIDTH: '1280',
      HEIGHT: '720',
      VIDEO_RATE: '1000',
      AUDIO_RATE: '64',
      FRAME_RATE: '15',
      VIDEO_PRESET: 'ultrafast',
      OUTPUT_FORMAT: 'mp4',
      DATA_DIR: '/tmp/rec',
      FFMPEG_PATH: '/usr/bin/ffmpeg',
    });
    expect(cfg).toMatchObject({
      siteURL: 'https://chat.example.com',
      width: 1280,
      height: 720,
      videoRate: 1000,
      frameRate: 15,
      videoPreset: 'ultrafast',
      dataDir: '/tmp/rec',
      ffmpegPath: '/usr/bin/ffmpeg',
    });
  });

  it('keeps the path of a site served under one', () => {
    expect(parseRecorderConfig({...base, SITE_URL: 'https://example.com/chat/'}).siteURL).toBe(
      'https://example.com/chat',
    );
  });

  it.each([
    [{SITE_URL: ''}, /SITE_URL cannot be empty/],
    [{SITE_URL: 'ftp://x'}, /SITE_URL/],
    [{SITE_URL: 'http://x/sub?q=1'}, /SITE_URL/],
    [{SITE_URL: 'http://user:pw@x'}, /SITE_URL/],
    [{SITE_URL: 'not a url'}, /SITE_URL/],
    [{AUTH_TOKEN: 'short'}, /AUTH_TOKEN/],
    [{CALL_ID: ''}, /CALL_ID/],
    [{POST_ID: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'}, /POST_ID/],
    [{RECORDING_ID: `${ID}/`}, /RECORDING_ID/],
    [{WIDTH: '1279'}, /WIDTH/],
    [{WIDTH: '3841'}, /WIDTH/],
    [{HEIGHT: '719'}, /HEIGHT/],
    [{HEIGHT: '2161'}, /HEIGHT/],
    [{VIDEO_RATE: '499'}, /VIDEO_RATE/],
    [{VIDEO_RATE: '10001'}, /VIDEO_RATE/],
    [{AUDIO_RATE: '31'}, /AUDIO_RATE/],
    [{AUDIO_RATE: '321'}, /AUDIO_RATE/],
    [{FRAME_RATE: '9'}, /FRAME_RATE/],
    [{FRAME_RATE: '61'}, /FRAME_RATE/],
    [{FRAME_RATE: '20.5'}, /FRAME_RATE/],
    [{VIDEO_PRESET: 'slow'}, /VIDEO_PRESET/],
    [{OUTPUT_FORMAT: 'webm'}, /OUTPUT_FORMAT/],
  ])('rejects %j', (override, message) => {
    expect(() => parseRecorderConfig({...base, ...override})).toThrow(message);
  });

  it.each([
    ['1280', '720', '500', '32', '10'],
    ['3840', '2160', '10000', '320', '60'],
  ])('accepts the limits themselves: %s×%s, video %s, audio %s, %s fps', (...limits) => {
    const [WIDTH, HEIGHT, VIDEO_RATE, AUDIO_RATE, FRAME_RATE] = limits;
    const cfg = parseRecorderConfig({...base, WIDTH, HEIGHT, VIDEO_RATE, AUDIO_RATE, FRAME_RATE});
    expect([cfg.width, cfg.height, cfg.videoRate, cfg.audioRate, cfg.frameRate].map(String)).toEqual(limits);
  });
});
