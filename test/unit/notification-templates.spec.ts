import { money, render, TEMPLATES } from "../../services/notifications/templates";

describe("notification templates", () => {
	it("when an order is rendered, then its lines, total and id are in the mail, as plain text", () => {
		const { subject, body } = render(TEMPLATES["order.created.v1"] as (typeof TEMPLATES)[string], {
			orderId: "o-<1>",
			items: [
				{ quantity: 2, label: "Blue & white mug" },
				{ quantity: 1, label: "SKU-9" },
			],
			amount: money(3750, "EUR"),
		});
		expect(subject).toBe("We received your order o-<1>");
		expect(body).toContain("- 2 x Blue & white mug\n- 1 x SKU-9\n");
		expect(body).toContain("Total: 37.50 EUR");
	});

	it("when a value is missing, then it renders empty and the section it guards disappears", () => {
		const { body } = render(TEMPLATES["order.created.v1"] as (typeof TEMPLATES)[string], { orderId: "o-2", items: [] });
		expect(body).not.toContain("Total:");
		expect(body).toContain("thank you for your order o-2.");
	});

	it("when a value holds line breaks, then the subject stays one line", () => {
		const { subject } = render(TEMPLATES["payment.failed.v1"] as (typeof TEMPLATES)[string], {
			orderId: "o-3\r\nBcc: someone@example.com",
		});
		expect(subject).toBe("Payment for order o-3 Bcc: someone@example.com did not go through");
	});

	it("when an amount is given in minor units, then it reads as major units with the currency", () => {
		expect(money(5, "GBP")).toBe("0.05 GBP");
		expect(money(123456, undefined)).toBe("1234.56");
		expect(money(undefined, "EUR")).toBeUndefined();
	});
});

describe("the review decision mail", () => {
	const template = TEMPLATES["review.moderated.v1"] as (typeof TEMPLATES)[string];

	it("when a review is approved, then its author reads that it is shown", () => {
		const { subject, body } = render(template, { approved: true, productName: "Blue mug", note: null });
		expect(subject).toBe("Your review is published");
		expect(body).toBe("Hello,\n\nthank you: your review of Blue mug is now shown to other shoppers.\n");
	});

	it("when a review is rejected with a note, then its author reads the note and that a change is looked at again", () => {
		const { subject, body } = render(template, {
			approved: false,
			productName: null,
			note: "Please leave out the phone number.",
		});
		expect(subject).toBe("Your review was not published");
		expect(body).toBe(
			"Hello,\n\nyour review was not published.\nOur team's note: Please leave out the phone number.\nYou can change it and it will be looked at again.\n",
		);
	});
});
