import { Transporters } from "moleculer";
import { writeAtPhaseEnd } from "./end-of-phase";

interface Queued {
	topic: string;
	data: Buffer;
	resolve(): void;
	reject(err: unknown): void;
}

/**
 * Moleculer's NATS transporter, with the packets sent during one turn of the event loop written to the
 * socket together. nats.js writes what was published since the last microtask checkpoint, and each
 * incoming HTTP request or NATS message is its own task, so a busy node wrote one packet per `write`:
 * a system call and, on a machine where the NATS server runs on the other core, a cross-CPU wake-up per
 * request and per reply. Here a packet waits until the current I/O phase ends (end-of-phase.ts: after
 * the groups gathered at that moment were sent) and the packets of every task of that phase go out in
 * one write; idle, a packet waits no longer than before.
 *
 * Order is kept (one queue, published in order), and `send` resolves when the packet is handed to
 * nats.js (or rejects with what nats.js threw), so Moleculer's "send DISCONNECT, then disconnect"
 * still sends it; `disconnect` and the unsubscribe before it publish what is queued before they flush.
 */
export class CoalescingNatsTransporter extends Transporters.NATS {
	private queued: Queued[] = [];
	private publishScheduled = false;

	override send(topic: string, data: Buffer): Promise<void> {
		if (!this.client) return Promise.resolve();
		return new Promise((resolve, reject) => {
			this.queued.push({ topic, data, resolve, reject });
			if (!this.publishScheduled) {
				this.publishScheduled = true;
				writeAtPhaseEnd(() => this.publishQueued());
			}
		});
	}

	override disconnect(): Promise<void> {
		this.publishQueued();
		return super.disconnect();
	}

	override unsubscribeFromBalancedCommands(): Promise<void> {
		this.publishQueued();
		return super.unsubscribeFromBalancedCommands();
	}

	/**
	 * A packet nats.js refuses (a closed connection) fails its own send, as it would have failed
	 * Moleculer's `send`, instead of being thrown from a setImmediate where nothing could catch it.
	 */
	private publishQueued(): void {
		const queued = this.queued;
		this.queued = [];
		this.publishScheduled = false;
		for (const packet of queued) {
			try {
				if (this.client) this.client.publish(packet.topic, packet.data);
				packet.resolve();
			} catch (err) {
				packet.reject(err);
			}
		}
	}
}
