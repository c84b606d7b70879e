/**
 * The client's address behind reverse proxies. `X-Forwarded-For` is only as honest as whoever wrote it:
 * each proxy appends the address it was connected from, and anything to the left of the first proxy
 * we run is whatever the client chose to send. So the header is read only when the socket's peer is
 * one of our proxies, from the right, and the first address that is not one of ours is the client.
 */
import { BlockList, isIP } from "node:net";

/** What the resolver needs of a request (an `IncomingMessage` has it). */
export interface RequestFromPeer {
	socket?: { remoteAddress?: string };
	headers: NodeJS.Dict<string | string[]>;
}

/** Is `address` (a plain IP) one of ours? */
export type TrustedProxies = (address: string) => boolean;

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
const IPV4_WITH_PORT = /^(\d+\.\d+\.\d+\.\d+):\d+$/;
const BRACKETED_IPV6 = /^\[([0-9a-f:.]+)\](?::\d+)?$/i;

/**
 * `raw` as a plain address (IPv4-mapped IPv6 as IPv4, a port or brackets taken off); undefined when it
 * is not an IP address at all. One spelling per address, so one client has one rate-limit key.
 */
export function plainAddress(raw: string): string | undefined {
	let address = raw.trim();
	address = BRACKETED_IPV6.exec(address)?.[1] ?? IPV4_WITH_PORT.exec(address)?.[1] ?? address;
	address = IPV4_MAPPED.exec(address)?.[1] ?? address;
	return isIP(address) === 0 ? undefined : address.toLowerCase();
}

/**
 * A matcher of TRUSTED_PROXIES entries: addresses (`10.0.0.7`, `::1`) and CIDR ranges (`10.0.0.0/8`,
 * `fd00::/8`). Throws an Error naming the first entry that is neither.
 */
export function trustedProxyMatcher(entries: readonly string[]): TrustedProxies {
	const list = new BlockList();
	for (const entry of entries) {
		const [rawAddress = "", prefix, ...rest] = entry.split("/");
		const address = plainAddress(rawAddress);
		const family = address === undefined ? 0 : isIP(address);
		const bits = prefix === undefined ? undefined : Number(prefix);
		const maxBits = family === 6 ? 128 : 32;
		const prefixOk = bits === undefined || (/^\d+$/.test(prefix as string) && bits <= maxBits);
		if (address === undefined || rest.length > 0 || !prefixOk) {
			throw new Error(`"${entry}" is not an IP address or CIDR range`);
		}
		const type = family === 6 ? "ipv6" : "ipv4";
		if (bits === undefined) list.addAddress(address, type);
		else list.addSubnet(address, bits, type);
	}
	if (entries.length === 0) return () => false;
	return (address) => list.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

/** The `X-Forwarded-For` hops, left (the farthest) to right (the nearest); repeated headers in order. */
function forwardedHops(header: string | string[] | undefined): string[] {
	if (header === undefined) return [];
	return (Array.isArray(header) ? header.join(",") : header).split(",");
}

/**
 * A function from a request to its client's address. With no trusted proxy that is the socket's
 * address as the socket spells it (the request path most requests take, kept to one property read).
 * Behind trusted proxies: the rightmost `X-Forwarded-For` address that is not a trusted proxy; when a
 * hop is not an address at all, the trusted hop that wrote it; when every hop is trusted, the leftmost.
 */
export function clientIpResolver(trustedEntries: readonly string[]): (req: RequestFromPeer) => string {
	if (trustedEntries.length === 0) return (req) => req.socket?.remoteAddress ?? "unknown";
	const trusted = trustedProxyMatcher(trustedEntries);
	return (req) => {
		const peer = req.socket?.remoteAddress;
		let client = peer === undefined ? undefined : plainAddress(peer);
		if (client === undefined) return peer ?? "unknown";
		if (!trusted(client)) return client;
		const hops = forwardedHops(req.headers["x-forwarded-for"]);
		for (let i = hops.length - 1; i >= 0; i--) {
			const hop = plainAddress(hops[i] as string);
			if (hop === undefined) return client;
			client = hop;
			if (!trusted(hop)) return hop;
		}
		return client;
	};
}
