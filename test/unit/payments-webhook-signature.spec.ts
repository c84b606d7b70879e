import { createHmac } from "node:crypto";
import { signWebhook, verifyWebhookSignature } from "../../services/payments/webhook-signature";

const SECRET = "whsec-unit-test";
const BODY = JSON.stringify({ id: "evt_1", event: "payment.authorized", intentId: "pi_1", amountCents: 1500 });

describe("webhook signatures", () => {
	it("when the body is signed with the shared secret, then the signature is hex HMAC-SHA256 and it verifies", () => {
		const signature = signWebhook(SECRET, BODY);
		expect(signature).toBe(createHmac("sha256", SECRET).update(BODY).digest("hex"));
		expect(verifyWebhookSignature(SECRET, BODY, signature)).toBe(true);
		// Header values are case-insensitive hex in practice.
		expect(verifyWebhookSignature(SECRET, BODY, signature.toUpperCase())).toBe(true);
	});

	it("when one byte of the body changes after signing, then it does not verify", () => {
		const signature = signWebhook(SECRET, BODY);
		expect(verifyWebhookSignature(SECRET, BODY.replace("1500", "1501"), signature)).toBe(false);
		// Re-serialised JSON with other spacing is other bytes: the signature is over the raw text.
		expect(verifyWebhookSignature(SECRET, JSON.stringify(JSON.parse(BODY), null, 1), signature)).toBe(false);
	});

	it("when it was signed with another secret or the signature was tampered with, then it does not verify", () => {
		expect(verifyWebhookSignature(SECRET, BODY, signWebhook("another-secret", BODY))).toBe(false);
		const signature = signWebhook(SECRET, BODY);
		const flipped = `${signature.slice(0, -1)}${signature.endsWith("0") ? "1" : "0"}`;
		expect(verifyWebhookSignature(SECRET, BODY, flipped)).toBe(false);
	});

	it.each([
		["missing", undefined],
		["empty", ""],
		["not a string", 42],
		["an array (a header sent twice)", ["a", "b"]],
	])("when the signature is %s, then it does not verify", (_label, signature) => {
		expect(verifyWebhookSignature(SECRET, BODY, signature)).toBe(false);
	});

	it("when the signature has the wrong length or is not hex, then it does not verify (and does not throw)", () => {
		const signature = signWebhook(SECRET, BODY);
		expect(verifyWebhookSignature(SECRET, BODY, signature.slice(0, 62))).toBe(false);
		expect(verifyWebhookSignature(SECRET, BODY, `${signature}00`)).toBe(false);
		expect(verifyWebhookSignature(SECRET, BODY, `${signature.slice(0, 63)}z`)).toBe(false);
		expect(verifyWebhookSignature(SECRET, BODY, `sha256=${signature}`)).toBe(false);
	});
});
