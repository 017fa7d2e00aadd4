// Builds the webapp half with webpack 5 + swc-loader: the plugin bundle (webapp/dist/main.js, with React,
// ReactDOM, Redux and ReactRedux taken from the host page's globals as Mattermost plugins do), its static assets (the
// join/leave sounds, synthesized here as small WAV files, in webapp/dist/sounds/) and the standalone host page
// (webapp/dist/standalone/). The translatable strings are extracted into webapp/i18n/en.json first (the bundle
// imports it; the build fails when two places disagree on a message). Skips all work when every output is newer than
// every input, so `npm test` and `npm start` can call it unconditionally. `--force` rebuilds; `--dev` builds
// unminified. Run as a program (npm run build, and npm install's postinstall), it then compiles the server half too
// (compile-server.mjs), so the first `npm start` after an install has nothing left to build.

import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {createRequire} from 'node:module';

import {compileServer} from './compile-server.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'webapp', 'src');
// The wire protocol the server and the bundle share (imported as @calls/protocol).
const protocolDir = path.join(root, 'server', 'src', 'protocol');
const distDir = path.join(root, 'webapp', 'dist');
const standaloneDir = path.join(distDir, 'standalone');

const args = new Set(process.argv.slice(2));
const force = args.has('--force');
const dev = args.has('--dev');

const SOUNDS = {
  // [frequency Hz, duration s] notes: a rising pair when you join, one short note when someone else does, a falling
  // pair when you leave.
  join_self: [
    [660, 0.12],
    [880, 0.18],
  ],
  join_user: [[880, 0.14]],
  leave_self: [
    [880, 0.12],
    [587, 0.2],
  ],
};
const soundsDir = path.join(distDir, 'sounds');
// Emoji as images (a colour-emoji font is not on every desktop): one sprite sheet of emoji-datasource-google's Noto
// images (32 px in 34 px cells, 256 colours, 1.5 MB) and a compact index (150 kB), both served as static files of the
// plugin and loaded only when an emoji is first shown. Data MIT (emoji-datasource); images Apache-2.0 (Noto Emoji).
const emojiDir = path.join(distDir, 'emoji');
// Resolved when used: an install without dev dependencies has no emoji-datasource-google (nor webpack).
const emojiPkg = () => path.dirname(require.resolve('emoji-datasource-google/package.json'));

const outputs = [
  path.join(distDir, 'main.js'),
  ...Object.keys(SOUNDS).map((n) => path.join(soundsDir, `${n}.wav`)),
  path.join(standaloneDir, 'index.html'),
  path.join(standaloneDir, 'standalone.js'),
  path.join(emojiDir, 'emoji.json'),
  path.join(emojiDir, 'sheet-32.png'),
];

function newestInput() {
  let newest = 0;
  const visit = (p) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      // A directory's mtime changes when a file in it is added, renamed or deleted.
      newest = Math.max(newest, st.mtimeMs);
      for (const name of fs.readdirSync(p)) {
        visit(path.join(p, name));
      }
      return;
    }
    if (/\.test\.tsx?$/.test(p)) {
      return;
    }
    newest = Math.max(newest, st.mtimeMs);
  };
  visit(srcDir);
  visit(protocolDir);
  for (const f of [
    'plugin.json',
    'package-lock.json',
    'webapp/tsconfig.json',
    'webapp/i18n/en.json',
    'build/build.mjs',
    'build/i18n-extract.mjs',
  ]) {
    const p = path.join(root, f);
    if (fs.existsSync(p)) {
      newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  }
  return newest;
}

function oldestOutput() {
  let oldest = Infinity;
  for (const o of outputs) {
    if (!fs.existsSync(o)) {
      return 0;
    }
    oldest = Math.min(oldest, fs.statSync(o).mtimeMs);
  }
  return oldest;
}

export function isUpToDate() {
  // The service package (npm run dist) ships the built webapp without its sources: what is built is what runs.
  if (!fs.existsSync(srcDir)) return oldestOutput() > 0;
  return oldestOutput() > newestInput();
}

function swcRule() {
  return {
    test: /\.(ts|tsx|js|mjs)$/,
    exclude: /node_modules/,
    use: {
      loader: 'swc-loader',
      options: {
        jsc: {
          target: 'es2020',
          parser: {syntax: 'typescript', tsx: true},
          transform: {react: {runtime: 'automatic', development: false}},
        },
      },
    },
  };
}

function baseConfig(webpack) {
  return {
    mode: dev ? 'development' : 'production',
    devtool: dev ? 'eval-cheap-source-map' : false,
    context: root,
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
      alias: {'@calls/protocol$': path.join(protocolDir, 'index.ts')},
      // simple-peer is a Node Duplex stream: it needs these polyfills in the browser.
      fallback: {
        buffer: require.resolve('buffer/'),
        events: require.resolve('events/'),
        process: require.resolve('process/browser'),
        stream: false,
        util: false,
      },
    },
    module: {
      rules: [
        swcRule(),
        // The protocol's modules only declare things: the bundle keeps those it uses (not the zod schemas).
        {test: (p) => p.startsWith(protocolDir + path.sep), sideEffects: false},
      ],
    },
    plugins: [new webpack.ProvidePlugin({process: 'process/browser', Buffer: ['buffer', 'Buffer']})],
    performance: {hints: false},
    cache: {type: 'filesystem', cacheDirectory: path.join(root, 'node_modules', '.cache', 'webpack-calls')},
    infrastructureLogging: {level: 'error'},
    stats: 'errors-warnings',
  };
}

function pluginConfig(webpack) {
  return {
    ...baseConfig(webpack),
    name: 'plugin',
    entry: path.join(srcDir, 'index.tsx'),
    output: {path: distDir, filename: 'main.js', clean: false},
    externals: {
      react: 'React',
      'react-dom': 'ReactDOM',
      redux: 'Redux',
      'react-redux': 'ReactRedux',
    },
  };
}

function standaloneConfig(webpack) {
  return {
    ...baseConfig(webpack),
    name: 'standalone',
    entry: path.join(srcDir, 'standalone', 'index.tsx'),
    output: {path: standaloneDir, filename: 'standalone.js', publicPath: '/static/standalone/'},
  };
}

/** A mono 16-bit PCM WAV of the notes, each with a short fade in and out so it does not click. */
function wav(notes, rate = 16000) {
  const total = notes.reduce((n, [, d]) => n + Math.round(d * rate), 0);
  const buf = Buffer.alloc(44 + total * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + total * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(total * 2, 40);
  let off = 44;
  for (const [freq, dur] of notes) {
    const n = Math.round(dur * rate);
    const fade = Math.round(0.01 * rate);
    for (let i = 0; i < n; i++) {
      const env = Math.min(1, i / fade, (n - i) / fade);
      buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * freq * i) / rate) * env * 0.3 * 32767), off);
      off += 2;
    }
  }
  return buf;
}

function writeSounds() {
  fs.mkdirSync(soundsDir, {recursive: true});
  for (const [name, notes] of Object.entries(SOUNDS)) {
    fs.writeFileSync(path.join(soundsDir, `${name}.wav`), wav(notes));
  }
}

/**
 * webapp/dist/emoji/emoji.json: {cols, emoji: [[name, short_names joined by space, unified, x, y, category], …]} in
 * the datasource's order, only those with a Noto image; and the sheet beside it.
 */
function writeEmoji() {
  fs.mkdirSync(emojiDir, {recursive: true});
  const data = JSON.parse(fs.readFileSync(path.join(emojiPkg(), 'emoji.json'), 'utf8'))
    .filter((e) => e.has_img_google)
    .sort((a, b) => a.sort_order - b.sort_order);
  const cols = Math.max(...data.map((e) => e.sheet_x)) + 1;
  const emoji = data.map((e) => [
    e.short_name,
    e.short_names.join(' '),
    e.unified,
    e.sheet_x,
    e.sheet_y,
    e.category,
    (e.name || '').toLowerCase(),
  ]);
  fs.writeFileSync(path.join(emojiDir, 'emoji.json'), JSON.stringify({cols, emoji}));
  fs.copyFileSync(path.join(emojiPkg(), 'img', 'google', 'sheets-256', '32.png'), path.join(emojiDir, 'sheet-32.png'));
}

function writeHtml() {
  fs.mkdirSync(standaloneDir, {recursive: true});
  fs.copyFileSync(path.join(srcDir, 'standalone', 'index.html'), path.join(standaloneDir, 'index.html'));
}

export async function build() {
  if (!force && isUpToDate()) {
    console.log('webapp: up to date');
    return;
  }
  const started = Date.now();
  // Imported here: it loads TypeScript, which a freshness check (npm start's) does not need.
  const {run: extractMessages} = await import('./i18n-extract.mjs');
  if (extractMessages([]) !== 0) {
    throw new Error('webapp build failed: fix the messages above');
  }
  const webpack = (await import('webpack')).default;
  const compiler = webpack([pluginConfig(webpack), standaloneConfig(webpack)]);
  const stats = await new Promise((resolve, reject) => {
    compiler.run((err, s) => {
      compiler.close(() => undefined);
      if (err) {
        reject(err);
        return;
      }
      resolve(s);
    });
  });
  if (stats.hasErrors()) {
    console.error(stats.toString('errors-only'));
    throw new Error('webapp build failed');
  }
  if (stats.hasWarnings()) {
    console.warn(stats.toString('errors-warnings'));
  }
  writeHtml();
  writeSounds();
  writeEmoji();
  // Touch outputs so an unchanged webpack emit still counts as newer than the inputs.
  const now = new Date();
  for (const o of outputs) {
    fs.utimesSync(o, now, now);
  }
  console.log(`webapp: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Whether the webapp's build tools are installed (not after `npm ci --omit=dev`, which only runs a built webapp). */
function canBuildWebapp() {
  try {
    require.resolve('webpack');
    require.resolve('emoji-datasource-google/package.json');
    return true;
  } catch {
    return false;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `--install` (npm install's postinstall): an install without the dev dependencies skips the webapp with a note.
  const skipWebapp = args.has('--install') && !isUpToDate() && !canBuildWebapp();
  if (skipWebapp)
    console.warn('webapp: not built (its build tools are dev dependencies: npm install without --omit=dev)');
  (skipWebapp ? Promise.resolve() : build())
    .then(() => compileServer({force}))
    .catch((err) => {
      console.error(err.message || err);
      process.exit(1);
    });
}
