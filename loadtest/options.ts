/** The command line of `npm run load -- <suite> [options]`. */
import { parseArgs } from "node:util";

export const USAGE = `usage: npm run load -- <suite> [--url <gateway>] [--duration 60s | --requests N] [--rate N | --vus N]
       [--warmup 10s] [--users N] [--gates full|ci] [--gates-file <json>] [--report-dir <dir>] [--ceiling]
       flash-sale: [--units 5000] [--retry-share 0.05] [--release-share 0.02]
       flash-sale-checkout: [--units 500] [--retry-share 0.05] [--drain 180]
       checkout, baseline: [--drain 120]
suites: flash-sale, flash-sale-checkout, browse, cart, checkout, baseline`;

export interface LoadOptions {
	suite: string;
	url: string | null;
	durationS: number | null;
	requests: number | null;
	/** Seconds of load before the measured phase (duration suites only); its answers are reported apart. */
	warmupS: number | null;
	rate: number | null;
	vus: number | null;
	users: number | null;
	gateProfile: string;
	gatesFile: string | null;
	reportDir: string;
	/** Measure the same-run moleculer-web no-op ceiling first, and report the suite's figures against it. */
	ceiling: boolean;
	/** Suite options (`--units`, `--drain`, ...), as given. */
	extra: Record<string, string>;
}

export class UsageError extends Error {}

/** "60s", "2m", "90" (seconds) -> seconds. */
export function parseDuration(text: string, option = "duration"): number {
	const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
	if (!match?.[1]) throw new UsageError(`--${option} "${text}" is not a duration (e.g. 60s, 2m)`);
	const value = Number(match[1]);
	const seconds = match[2] === "m" ? value * 60 : match[2] === "ms" ? value / 1000 : value;
	if (!(seconds >= 1)) throw new UsageError(`--${option} must be at least 1s`);
	return seconds;
}

function positiveInt(name: string, text: string | undefined): number | null {
	if (text === undefined) return null;
	const value = Number(text);
	if (!(Number.isInteger(value) && value > 0)) throw new UsageError(`--${name} must be a positive integer`);
	return value;
}

const SUITE_OPTIONS = ["units", "retry-share", "release-share", "drain"] as const;

export function parseLoadOptions(argv: string[]): LoadOptions {
	let parsed: ReturnType<typeof parse>;
	try {
		parsed = parse(argv);
	} catch (err) {
		throw new UsageError((err as Error).message);
	}
	const { values, positionals } = parsed;
	if (positionals.length !== 1 || !positionals[0]) throw new UsageError("name exactly one suite");
	if (values.duration && values.requests) throw new UsageError("give --duration or --requests, not both");
	const extra: Record<string, string> = {};
	for (const name of SUITE_OPTIONS) if (values[name] !== undefined) extra[name] = values[name];
	return {
		suite: positionals[0],
		url: values.url ? values.url.replace(/\/+$/, "") : null,
		durationS: values.duration ? parseDuration(values.duration) : null,
		requests: positiveInt("requests", values.requests),
		warmupS: values.warmup ? parseDuration(values.warmup, "warmup") : null,
		rate: positiveInt("rate", values.rate),
		vus: positiveInt("vus", values.vus),
		users: positiveInt("users", values.users),
		gateProfile: values.gates ?? "full",
		gatesFile: values["gates-file"] ?? null,
		reportDir: values["report-dir"] ?? "loadtest/reports",
		ceiling: values.ceiling ?? false,
		extra,
	};
}

function parse(argv: string[]) {
	return parseArgs({
		args: argv,
		allowPositionals: true,
		strict: true,
		options: {
			url: { type: "string" },
			duration: { type: "string" },
			requests: { type: "string" },
			warmup: { type: "string" },
			rate: { type: "string" },
			vus: { type: "string" },
			users: { type: "string" },
			gates: { type: "string" },
			"gates-file": { type: "string" },
			"report-dir": { type: "string" },
			ceiling: { type: "boolean" },
			units: { type: "string" },
			"retry-share": { type: "string" },
			"release-share": { type: "string" },
			drain: { type: "string" },
		},
	});
}
