/**
 * Where a node process spent its CPU: reads a `--cpu-prof` profile and prints the functions with
 * the most self time, then the same time grouped by package (or source folder).
 * `node --import tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top]`
 */
import fs from "node:fs";

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}

interface CpuProfile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

/** `moleculer`, `mysql2`, `services/inventory`, `node:internal/...`: where a frame's code lives. */
function owner(url: string): string {
	if (!url) return "(native/VM)";
	const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
	if (pkg?.[1]) return pkg[1];
	if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
	const own = url.match(/\/work\/[^/]+\/[^/]+\/((?:services|lib|mixins|middlewares|config|bin|bench)\/[^/]+)/);
	return own?.[1] ?? url;
}

function summarize(profile: CpuProfile, top: number): string {
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const selfUs = new Map<number, number>();
	profile.samples.forEach((id, i) => {
		selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
	});
	const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
	const byFunction = new Map<string, number>();
	const byOwner = new Map<string, number>();
	for (const [id, us] of selfUs) {
		const frame = (byId.get(id) as ProfileNode).callFrame;
		const where = frame.url
			? `${frame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/work\/[^/]+\/[^/]+\//, "")}:${frame.lineNumber + 1}`
			: "";
		const key = `${frame.functionName || "(anonymous)"} ${where}`.trim();
		byFunction.set(key, (byFunction.get(key) ?? 0) + us);
		const pkg = owner(frame.url);
		byOwner.set(pkg, (byOwner.get(pkg) ?? 0) + us);
	}
	const rows = (map: Map<string, number>) =>
		[...map]
			.sort((a, b) => b[1] - a[1])
			.slice(0, top)
			.map(
				([name, us]) =>
					`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
			)
			.join("\n");
	return `total ${(total / 1000).toFixed(0)} ms sampled\n\nself time by function:\n${rows(byFunction)}\n\nself time by package/folder:\n${rows(byOwner)}\n`;
}

const [file, top] = process.argv.slice(2);
if (!file) {
	process.stderr.write("usage: node --import tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top]\n");
	process.exit(2);
}
process.stdout.write(summarize(JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile, Number(top ?? 30)));
