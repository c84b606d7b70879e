import bytes from "bytes";
import { EnvError, makeValidator } from "envalid";

/**
 * A URL whose scheme is one of `schemes`, or the empty string (meaning "not configured":
 * the embedded adapter is used instead).
 */
export function optionalUrl(schemes: readonly string[]) {
	return makeValidator<string>((input: string) => {
		const value = input.trim();
		if (value === "") return "";
		let parsed: URL;
		try {
			parsed = new URL(value);
		} catch {
			// The value may carry credentials (user:password@): the error, which is logged, does not.
			throw new EnvError(`not a URL: "${value.replace(/\/\/[^/]*@/, "//***@")}"`);
		}
		const scheme = parsed.protocol.replace(/:$/, "");
		if (!schemes.includes(scheme)) {
			throw new EnvError(`unsupported scheme "${scheme}://" (expected ${schemes.map((s) => `${s}://`).join(", ")})`);
		}
		return value;
	});
}

/** A positive integer, optionally bounded. */
export function positiveInt(max = Number.MAX_SAFE_INTEGER) {
	return makeValidator<number>((input: string) => {
		const n = Number(input);
		if (!Number.isInteger(n) || n <= 0 || n > max) {
			throw new EnvError(`expected an integer in 1..${max}, got "${input}"`);
		}
		return n;
	});
}

/** An integer >= 0 (0 usually turns the feature off), optionally bounded. */
export function nonNegativeInt(max = Number.MAX_SAFE_INTEGER) {
	return makeValidator<number>((input: string) => {
		const n = Number(input);
		if (!Number.isInteger(n) || n < 0 || n > max) {
			throw new EnvError(`expected an integer in 0..${max}, got "${input}"`);
		}
		return n;
	});
}

/** Seconds, fractions allowed (0.5), at least 0.1 and at most `max`. */
export function positiveSeconds(max: number) {
	return makeValidator<number>((input: string) => {
		const n = Number(input);
		if (!Number.isFinite(n) || n < 0.1 || n > max) {
			throw new EnvError(`expected seconds in 0.1..${max} (fractions allowed), got "${input}"`);
		}
		return n;
	});
}

/** A non-negative number (seconds, ratios). */
export const nonNegativeNumber = makeValidator<number>((input: string) => {
	const n = Number(input);
	if (!Number.isFinite(n) || n < 0) throw new EnvError(`expected a number >= 0, got "${input}"`);
	return n;
});

/** A comma-separated list of lowercase names; empty means "all". */
export const nameList = makeValidator<string[]>((input: string) => {
	const names = input
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
	for (const name of names) {
		if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new EnvError(`invalid service name "${name}"`);
	}
	return names;
});

/** A TCP port; 0 asks the OS for a free one (tests, several nodes on one host). */
export const tcpPort = makeValidator<number>((input: string) => {
	const n = Number(input);
	if (!Number.isInteger(n) || n < 0 || n > 65535) throw new EnvError(`expected a port in 0..65535, got "${input}"`);
	return n;
});

/** A size such as `64kb`, `1mb` or `512`, in bytes, read by `bytes` as body-parser reads it (units of 1024). */
export const byteSize = makeValidator<number>((input: string) => {
	const size = bytes.parse(input);
	if (size === null || !Number.isFinite(size) || size <= 0) {
		throw new EnvError(`expected a size such as 64kb, 1mb or 512, got "${input}"`);
	}
	return Math.floor(size);
});
