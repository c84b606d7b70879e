/**
 * The cluster's side of health, apart from this node's readiness: which services this node has seen
 * offered since it started, and which of them no available node offers now. A node that stopped or
 * died takes its services with it; if no other node runs them, the shop is missing a part (every
 * `/api/admin/*` route without `events`, every purchase without `inventory`) while each node that is
 * left is ready. Expected means "seen": a service this node never saw is not reported.
 */

/** A node as the registry lists it (`getNodeList({ onlyAvailable: false, withServices: true })`). */
export interface RegistryNode {
	id: string;
	available: boolean;
	services?: Array<{ name: string }>;
}

export interface UnavailableService {
	service: string;
	/** The nodes that offered it last. */
	lastSeenOn: string[];
	/** When this node saw it go (ISO-8601). */
	unavailableSince: string;
}

export interface ClusterHealth {
	/** `COMPLETE`: every expected service is offered by an available node; `DEGRADED`: some is not. */
	status: "COMPLETE" | "DEGRADED";
	/** Every service seen on some node since this node started, sorted. */
	expected: string[];
	/** Expected services no available node offers now, sorted by name. */
	unavailable: UnavailableService[];
}

/** What Moleculer announces on `broker.localBus` when nodes or their services change. */
const REGISTRY_EVENTS = ["$node.connected", "$node.updated", "$node.disconnected", "$services.changed"];

interface Seen {
	nodes: string[];
	missingSince?: number;
}

interface Bus {
	on(event: string, listener: () => void): unknown;
	off(event: string, listener: () => void): unknown;
}

export class ClusterServices {
	private readonly seen = new Map<string, Seen>();

	constructor(
		private readonly nodesNow: () => RegistryNode[],
		private readonly now: () => number = Date.now,
	) {}

	/**
	 * Observes the registry on every change Moleculer announces, so a node that came and went between
	 * two health checks is still expected. Returns what stops watching.
	 */
	watch(bus: Bus): () => void {
		const observe = () => this.observe();
		for (const event of REGISTRY_EVENTS) bus.on(event, observe);
		observe();
		return () => {
			for (const event of REGISTRY_EVENTS) bus.off(event, observe);
		};
	}

	/** Records which services the available nodes offer now, and since when the others are missing. */
	observe(): void {
		const offered = new Map<string, string[]>();
		for (const node of this.nodesNow()) {
			if (!node.available) continue;
			for (const { name } of node.services ?? []) {
				// `$node` and other internal services run on every node: they say nothing about the shop.
				if (name.startsWith("$")) continue;
				offered.set(name, [...(offered.get(name) ?? []), node.id]);
			}
		}
		const now = this.now();
		for (const [service, nodes] of offered) this.seen.set(service, { nodes: nodes.sort() });
		for (const [service, seen] of this.seen) if (!offered.has(service)) seen.missingSince ??= now;
	}

	report(): ClusterHealth {
		this.observe();
		const unavailable = [...this.seen.entries()]
			.filter(([, seen]) => seen.missingSince !== undefined)
			.map(([service, seen]) => ({
				service,
				lastSeenOn: seen.nodes,
				unavailableSince: new Date(seen.missingSince as number).toISOString(),
			}))
			.sort((a, b) => a.service.localeCompare(b.service));
		return {
			status: unavailable.length > 0 ? "DEGRADED" : "COMPLETE",
			expected: [...this.seen.keys()].sort(),
			unavailable,
		};
	}
}
