import { Discoverers } from "moleculer";

export interface HeartbeatTiming {
	/** How often this node announces itself. */
	intervalMs: number;
	/** Silence after which a peer is considered dead and its pending requests are rejected. */
	timeoutMs: number;
}

/** How often peers' silence is checked: a small slice of the timeout, so detection ends soon after it. */
export function checkPeriodMs(timing: HeartbeatTiming): number {
	return Math.max(50, Math.min(250, Math.floor(timing.timeoutMs / 8)));
}

/** Worst case from a peer's last heartbeat to its removal, for docs and tests. */
export function worstDetectionMs(timing: HeartbeatTiming): number {
	return timing.timeoutMs + checkPeriodMs(timing);
}

type OfflineSweep = { checkOfflineNodes(): void };

type Registry = {
	nodes: {
		toArray(): Array<{ id: string; local: boolean; available: boolean }>;
		disconnected(nodeID: string, unexpected: boolean): void;
	};
};

/**
 * Moleculer's local discoverer with millisecond heartbeats. The built-in one keeps heartbeat times in
 * whole seconds of uptime, jitters the beat by ±500 ms and checks for silence only once per timeout, so
 * a SIGKILLed peer was dropped 5-9 s after its death with a 1 s / 4 s setting: that long, every call
 * routed to it (an inventory owner's SKUs) hung. Here a peer's last beat is timed in milliseconds and
 * checked every `checkPeriodMs`, so it is dropped within `worstDetectionMs` of its last beat, and
 * Moleculer then rejects the calls pending on it and routes new ones to the survivors.
 *
 * A peer wrongly dropped (an event loop stalled longer than the timeout) is re-admitted by its next
 * heartbeat; the inventory stays correct meanwhile because two owners of a SKU are fenced by the
 * row version (see services/inventory/API_DOCS.md).
 */
export class PreciseHeartbeatDiscoverer extends Discoverers.Local {
	private readonly lastBeatAt = new Map<string, number>();
	private beatTimer: NodeJS.Timeout | undefined;
	private checkTimer: NodeJS.Timeout | undefined;
	private offlineSweepTimer: NodeJS.Timeout | undefined;

	constructor(private readonly timing: HeartbeatTiming) {
		super({});
	}

	override startHeartbeatTimers(): void {
		this.stopHeartbeatTimers();
		this.beatTimer = setInterval(() => void this.beat(), this.timing.intervalMs);
		this.checkTimer = setInterval(() => this.checkRemoteNodes(), checkPeriodMs(this.timing));
		this.offlineSweepTimer = setInterval(() => (this as unknown as OfflineSweep).checkOfflineNodes(), 60_000);
		for (const timer of [this.beatTimer, this.checkTimer, this.offlineSweepTimer]) timer.unref();
	}

	override stopHeartbeatTimers(): void {
		super.stopHeartbeatTimers();
		for (const timer of [this.beatTimer, this.checkTimer, this.offlineSweepTimer]) clearInterval(timer);
		this.beatTimer = this.checkTimer = this.offlineSweepTimer = undefined;
	}

	override heartbeatReceived(nodeID: string, payload: Record<string, unknown>): void {
		this.lastBeatAt.set(nodeID, performance.now());
		super.heartbeatReceived(nodeID, payload);
	}

	override checkRemoteNodes(): void {
		if ((this as unknown as { opts: { disableHeartbeatChecks?: boolean } }).opts.disableHeartbeatChecks) return;
		const now = performance.now();
		for (const node of (this.registry as unknown as Registry).nodes.toArray()) {
			if (node.local) continue;
			if (!node.available) {
				// Gone (goodbye or dropped): when it comes back, its silence counts afresh.
				this.lastBeatAt.delete(node.id);
				continue;
			}
			const last = this.lastBeatAt.get(node.id);
			if (last === undefined) {
				// Admitted by its INFO, no heartbeat seen yet: its silence counts from now.
				this.lastBeatAt.set(node.id, now);
			} else if (now - last > this.timing.timeoutMs) {
				this.logger.warn(`No heartbeat from '${node.id}' for ${Math.round(now - last)} ms: dropping it.`);
				this.lastBeatAt.delete(node.id);
				(this.registry as unknown as Registry).nodes.disconnected(node.id, true);
			}
		}
	}
}
