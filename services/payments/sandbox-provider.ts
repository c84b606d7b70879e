import { createHash, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { AppConfig } from "../../config";
import {
	type CreateIntentRequest,
	type PaymentProvider,
	type ProviderOperation,
	ProviderRejectedError,
	ProviderUnavailableError,
} from "./payment-provider";
import type { WebhookEventType } from "./payment-status";
import type { WebhookBody } from "./webhook-payload";
import { signWebhook } from "./webhook-signature";

/** The methods the sandbox knows; the shopper's choice decides the outcome. Orders validates against this list. */
export const SANDBOX_METHODS = ["sandbox_authorize", "sandbox_decline", "sandbox_no_answer"] as const;
export type SandboxMethod = (typeof SANDBOX_METHODS)[number];

export function isSandboxMethod(method: string): method is SandboxMethod {
	return (SANDBOX_METHODS as readonly string[]).includes(method);
}

/** The webhook an intent's method leads to; `null` for `sandbox_no_answer` (no webhook, ever). */
export interface SandboxOutcome {
	event: Extract<WebhookEventType, "payment.authorized" | "payment.failed"> | null;
	reason?: string;
}

/** What the sandbox answers an intent with. Undefined for a method it does not know. */
export function sandboxOutcomeOf(method: string): SandboxOutcome | undefined {
	switch (method) {
		case "sandbox_authorize":
			return { event: "payment.authorized" };
		case "sandbox_decline":
			return { event: "payment.failed", reason: "card_declined" };
		case "sandbox_no_answer":
			return { event: null };
		default:
			return undefined;
	}
}

/**
 * The same reference always gets the same intent id, on any node: createIntent is idempotent per
 * reference even when a retry reaches another payments node (each has its own sandbox).
 */
export function sandboxIntentIdOf(reference: string): string {
	return `pi_sbx_${createHash("sha256").update(reference).digest("hex").slice(0, 24)}`;
}

/** How one webhook is delivered: after `delaysMs[i]` for each copy (two copies = a duplicate). */
export interface DeliveryPlan {
	delaysMs: number[];
}

/** The delivery plan of a webhook: the configured delay, sometimes a duplicate, sometimes late (reordered). */
export function deliveryPlan(
	settings: Pick<AppConfig["payments"]["sandbox"], "webhookDelayMs" | "duplicateRate" | "reorderRate">,
	random: () => number,
): DeliveryPlan {
	const base = settings.webhookDelayMs;
	// Late enough to overtake a webhook sent after this one.
	const late = random() < settings.reorderRate ? base + 20 + Math.floor(random() * (2 * base + 100)) : 0;
	const first = base + late;
	const delaysMs = [first];
	if (random() < settings.duplicateRate) delaysMs.push(first + 5 + Math.floor(random() * (base + 20)));
	return { delaysMs };
}

interface SandboxIntent {
	intentId: string;
	reference: string;
	amountCents: number;
	currency: string;
	method: SandboxMethod;
}

export interface SandboxOptions {
	settings: AppConfig["payments"]["sandbox"];
	secret: string;
	/** Where to POST webhooks, resolved at send time (the gateway's port is known only once it listens). */
	webhookUrl: () => string;
	logger: { warn(message: string): void; debug(message: string): void };
	random?: () => number;
}

/** Delivery attempts of one webhook copy: a provider retries a webhook our side did not take. */
const DELIVERY_ATTEMPTS = 5;
const DELIVERY_BACKOFF_MS = 100;
const DELIVERY_TIMEOUT_MS = 5000;

/**
 * An in-process payment provider that behaves like a remote one: it answers after `latencyMs`, and
 * tells the outcome later with a signed webhook over HTTP (global fetch) to our gateway, sometimes
 * twice, sometimes late. In outage mode every call throws a retryable error. Intents live in this
 * process's memory: a capture or void of an intent another node created succeeds without a webhook.
 */
export class SandboxProvider implements PaymentProvider {
	private outage = false;
	private stopped = false;
	private readonly intents = new Map<string, SandboxIntent>();
	private readonly timers = new Set<NodeJS.Timeout>();
	private readonly inFlight = new Set<AbortController>();
	private readonly random: () => number;

	constructor(private readonly options: SandboxOptions) {
		this.random = options.random ?? Math.random;
	}

	get outageMode(): boolean {
		return this.outage;
	}

	setOutageMode(enabled: boolean): void {
		this.outage = enabled;
	}

	async createIntent(request: CreateIntentRequest): Promise<{ intentId: string }> {
		await this.answerDelay("createIntent");
		if (!isSandboxMethod(request.method)) {
			throw new ProviderRejectedError("createIntent", `unknown method ${request.method}`);
		}
		const intentId = sandboxIntentIdOf(request.reference);
		if (this.intents.has(intentId)) return { intentId };
		const intent: SandboxIntent = { intentId, ...request, method: request.method };
		this.intents.set(intentId, intent);
		const outcome = sandboxOutcomeOf(intent.method);
		if (outcome?.event) this.sendWebhook(intent, outcome.event, outcome.reason);
		return { intentId };
	}

	async capture(intentId: string): Promise<void> {
		await this.answerDelay("capture");
		const intent = this.intents.get(intentId);
		if (intent) this.sendWebhook(intent, "payment.captured");
	}

	async void(intentId: string): Promise<void> {
		await this.answerDelay("void");
		const intent = this.intents.get(intentId);
		if (intent) this.sendWebhook(intent, "payment.voided");
	}

	/** Cancels the webhooks not delivered yet (the node is stopping). */
	stop(): void {
		this.stopped = true;
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		for (const controller of this.inFlight) controller.abort();
	}

	private async answerDelay(operation: ProviderOperation): Promise<void> {
		if (this.options.settings.latencyMs > 0) await sleep(this.options.settings.latencyMs);
		if (this.outage) throw new ProviderUnavailableError(operation, "sandbox outage mode");
	}

	private sendWebhook(intent: SandboxIntent, event: WebhookEventType, reason?: string): void {
		const body: WebhookBody = {
			id: `evt_${randomUUID()}`,
			event,
			intentId: intent.intentId,
			reference: intent.reference,
			amountCents: intent.amountCents,
			currency: intent.currency,
			...(reason ? { reason } : {}),
			createdAt: new Date().toISOString(),
		};
		const rawBody = JSON.stringify(body);
		for (const delayMs of deliveryPlan(this.options.settings, this.random).delaysMs) {
			this.later(delayMs, () => this.post(rawBody, body, 1));
		}
	}

	private later(delayMs: number, run: () => Promise<void>): void {
		if (this.stopped) return;
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			run().catch((err: Error) => this.options.logger.warn(`Sandbox webhook: ${err.message}`));
		}, delayMs);
		timer.unref();
		this.timers.add(timer);
	}

	private async post(rawBody: string, body: WebhookBody, attempt: number): Promise<void> {
		if (this.stopped) return;
		const controller = new AbortController();
		this.inFlight.add(controller);
		const timeout = setTimeout(() => controller.abort(), DELIVERY_TIMEOUT_MS).unref();
		let failure: string;
		try {
			const res = await fetch(this.options.webhookUrl(), {
				method: "POST",
				headers: {
					"Content-Type": "application/json",
					"X-Razorpay-Signature": signWebhook(this.options.secret, rawBody),
				},
				body: rawBody,
				signal: controller.signal,
			});
			await res.arrayBuffer();
			if (res.ok) return;
			// A 4xx other than 429 is our side refusing the webhook itself: sending it again changes nothing.
			if (res.status < 500 && res.status !== 429) {
				this.options.logger.warn(`Sandbox webhook ${body.id} (${body.event}) refused: HTTP ${res.status}`);
				return;
			}
			failure = `HTTP ${res.status}`;
		} catch (err) {
			if (this.stopped) return;
			failure = (err as Error).message;
		} finally {
			clearTimeout(timeout);
			this.inFlight.delete(controller);
		}
		if (attempt >= DELIVERY_ATTEMPTS) {
			this.options.logger.warn(
				`Sandbox webhook ${body.id} (${body.event}) given up after ${attempt} attempts: ${failure}`,
			);
			return;
		}
		this.options.logger.debug(`Sandbox webhook ${body.id} attempt ${attempt} failed (${failure}); retrying`);
		this.later(DELIVERY_BACKOFF_MS * 2 ** (attempt - 1), () => this.post(rawBody, body, attempt + 1));
	}
}
