// Fails when the TypeScript sources import each other in a cycle (type-only imports included: a cycle of types
// still ties two modules' designs together). Part of `npm run lint`. Reads relative and @calls/protocol imports
// of server/src, webapp/src and test as text and finds the strongly connected components (Tarjan).
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOTS = ['server/src', 'webapp/src', 'test'];
const ALIASES = [['@calls/protocol', 'server/src/protocol']];
const IMPORT =
  /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/gs;

function sources(dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(root, dir), {withFileTypes: true})) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist') out.push(...sources(rel));
    } else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

const files = ROOTS.filter((d) => fs.existsSync(path.join(root, d))).flatMap(sources);
const known = new Set(files);

function resolve(from, spec) {
  let base;
  const alias = ALIASES.find(([a]) => spec === a || spec.startsWith(`${a}/`));
  if (alias) base = alias[1] + spec.slice(alias[0].length);
  else if (spec.startsWith('.')) base = path.join(path.dirname(from), spec);
  else return undefined;
  base = base.replace(/\.js$/, '');
  return [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')].find((c) =>
    known.has(c),
  );
}

const graph = new Map(
  files.map((f) => {
    const text = fs.readFileSync(path.join(root, f), 'utf8');
    const to = new Set();
    for (const m of text.matchAll(IMPORT)) {
      const target = resolve(f, m[1] ?? m[2] ?? m[3]);
      if (target && target !== f) to.add(target);
    }
    return [f, to];
  }),
);

// Tarjan's strongly connected components, iteratively (deep import chains would overflow the stack).
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
let next = 0;
for (const start of files) {
  if (index.has(start)) continue;
  const work = [[start, [...graph.get(start)], 0]];
  index.set(start, next);
  low.set(start, next++);
  stack.push(start);
  onStack.add(start);
  while (work.length) {
    const frame = work[work.length - 1];
    const [v, edges] = frame;
    if (frame[2] < edges.length) {
      const w = edges[frame[2]++];
      if (!index.has(w)) {
        index.set(w, next);
        low.set(w, next++);
        stack.push(w);
        onStack.add(w);
        work.push([w, [...graph.get(w)], 0]);
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
      continue;
    }
    work.pop();
    if (work.length) {
      const parent = work[work.length - 1][0];
      low.set(parent, Math.min(low.get(parent), low.get(v)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  }
}

if (cycles.length) {
  console.error(`import cycles (${cycles.length}):`);
  for (const c of cycles) console.error(`  ${c.join(' ↔ ')}`);
  process.exit(1);
}
console.log(`import cycles: none in ${files.length} files`);
