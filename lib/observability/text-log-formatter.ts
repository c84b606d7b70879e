import { inspect } from "node:util";
import { requestContext } from "./request-context";

interface LogBindings {
	mod?: string;
}

type Paint = (text: string) => string;

const ansi =
	(open: number, close: number): Paint =>
	(text) =>
		`\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

const GREY = ansi(90, 39);
const BOLD = ansi(1, 22);
const LEVEL_COLOUR: Record<string, Paint> = {
	fatal: ansi(41, 49),
	error: ansi(31, 39),
	warn: ansi(33, 39),
	info: ansi(32, 39),
	debug: ansi(34, 39),
	trace: GREY,
};

/**
 * Moleculer Console-logger formatter for people: `12:03:04.567 WARN  api: message (correlation id)`, the
 * level coloured when `colours` (a terminal). The correlation id of the request being served ends the line,
 * so a failure can still be found in a collector's JSON by it.
 */
export function textLogFormatter(
	colours: boolean,
): (level: string, args: unknown[], bindings?: LogBindings) => string[] {
	const grey = colours ? GREY : plain;
	const bold = colours ? BOLD : plain;
	const show = (arg: unknown): string => {
		if (typeof arg === "string") return arg;
		if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
		return inspect(arg, { depth: 4, colors: colours, breakLength: Number.POSITIVE_INFINITY });
	};
	return (level, args, bindings = {}) => {
		const paintLevel = colours ? (LEVEL_COLOUR[level] ?? plain) : plain;
		const time = new Date().toISOString().slice(11, 23);
		const correlationId = requestContext.getStore()?.correlationId;
		const line = [
			grey(time),
			paintLevel(level.toUpperCase().padEnd(5)),
			`${bold(bindings.mod ?? "")}:`,
			args.map(show).join(" "),
		];
		if (correlationId) line.push(grey(`(${correlationId})`));
		return [line.join(" ")];
	};
}
