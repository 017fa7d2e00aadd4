// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and inclusive time of chosen
// frames, to see where the server's CPU goes under load. Usage:
//   npx tsx test/loadtest/profile-summary.ts FILE.cpuprofile [top=40] [frame-substring …]
// PROFILE_UNDER=substring limits the self-time table to samples with that frame on their stack.
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: {functionName: string; url: string; lineNumber: number};
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, ...frames] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const top = Number(topArg ?? 40);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/work\/main\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
};
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const node = byId.get(id)!;
  const l = label(node);
  const under = process.env.PROFILE_UNDER;
  let counted = !under;
  if (under)
    for (let cur: number | undefined = id; cur !== undefined && !counted; cur = parent.get(cur))
      counted = label(byId.get(cur)!).includes(under);
  if (counted) self.set(l, (self.get(l) ?? 0) + dt);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const name = label(byId.get(cur)!);
    for (const f of frames)
      if (name.includes(f) && !seen.has(f)) {
        seen.add(f);
        inclusive.set(f, (inclusive.get(f) ?? 0) + dt);
      }
  }
});
const idle = self.get('(idle)') ?? 0;
const busy = total - idle;
console.log(`total ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (percentages of busy)`);
for (const [l, t] of [...self]
  .filter(([l]) => l !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  console.log(`${((t / busy) * 100).toFixed(1).padStart(5)} %  ${l}`);
}
if (frames.length) {
  console.log('\ninclusive:');
  for (const f of frames) console.log(`${(((inclusive.get(f) ?? 0) / busy) * 100).toFixed(1).padStart(5)} %  ${f}`);
}
