import { clientIpResolver, plainAddress, trustedProxyMatcher } from "../../lib/net/client-ip";

const request = (peer: string | undefined, forwardedFor?: string | string[]) => ({
	socket: { remoteAddress: peer },
	headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
});

describe("the client's address", () => {
	it("when no proxy is trusted, then X-Forwarded-For is ignored and the socket's address is the client's", () => {
		const clientIp = clientIpResolver([]);
		expect(clientIp(request("203.0.113.9", "198.51.100.1"))).toBe("203.0.113.9");
		expect(clientIp(request(undefined))).toBe("unknown");
	});

	it("when the peer is not a trusted proxy, then its X-Forwarded-For is ignored", () => {
		const clientIp = clientIpResolver(["10.0.0.0/8"]);
		expect(clientIp(request("203.0.113.9", "198.51.100.1"))).toBe("203.0.113.9");
	});

	it("when the peer is trusted, then the client is the rightmost address that is not a trusted proxy", () => {
		const clientIp = clientIpResolver(["10.0.0.0/8", "192.0.2.7"]);
		// The client forged "1.1.1.1"; our proxies 192.0.2.7 and 10.1.2.3 appended what they saw.
		expect(clientIp(request("10.9.9.9", "1.1.1.1, 198.51.100.23, 192.0.2.7, 10.1.2.3"))).toBe("198.51.100.23");
	});

	it("when X-Forwarded-For arrives as several header lines, then they are read as one list in order", () => {
		const clientIp = clientIpResolver(["10.0.0.0/8"]);
		expect(clientIp(request("10.0.0.1", ["1.1.1.1, 198.51.100.23", "10.0.0.2"]))).toBe("198.51.100.23");
	});

	it("when every hop is trusted, then the leftmost is the client; without a header, the trusted peer itself", () => {
		const clientIp = clientIpResolver(["10.0.0.0/8"]);
		expect(clientIp(request("10.0.0.1", "10.0.0.3, 10.0.0.2"))).toBe("10.0.0.3");
		expect(clientIp(request("10.0.0.1"))).toBe("10.0.0.1");
	});

	it("when a hop is not an address, then the trusted hop that wrote it is the client (garbage never becomes a key)", () => {
		const clientIp = clientIpResolver(["10.0.0.0/8"]);
		expect(clientIp(request("10.0.0.1", "198.51.100.1, not-an-ip, 10.0.0.2"))).toBe("10.0.0.2");
	});

	it("when the peer is an IPv4-mapped IPv6 address, then it matches IPv4 entries and is spelled as IPv4", () => {
		const clientIp = clientIpResolver(["127.0.0.1"]);
		expect(clientIp(request("::ffff:127.0.0.1", "2001:db8::1"))).toBe("2001:db8::1");
		expect(clientIpResolver(["10.0.0.0/8"])(request("::ffff:127.0.0.1", "198.51.100.1"))).toBe("127.0.0.1");
	});

	it("when addresses carry ports or brackets, then they are read without them", () => {
		expect(plainAddress(" 198.51.100.1:4711 ")).toBe("198.51.100.1");
		expect(plainAddress("[2001:DB8::1]:443")).toBe("2001:db8::1");
		expect(plainAddress("unknown")).toBeUndefined();
	});

	it("when IPv6 ranges are trusted, then addresses inside them are, and outside not", () => {
		const trusted = trustedProxyMatcher(["fd00::/8", "::1"]);
		expect([trusted("fd12::5"), trusted("::1"), trusted("fe80::1"), trusted("10.0.0.1")]).toEqual([
			true,
			true,
			false,
			false,
		]);
	});

	it.each(["10.0.0.0/33", "10.0.0.0/x", "proxy.internal", "10.0.0.0/8/1", "::1/129"])(
		"when TRUSTED_PROXIES has %s, then it is refused naming the entry",
		(entry) => {
			expect(() => trustedProxyMatcher([entry])).toThrow(entry);
		},
	);
});
