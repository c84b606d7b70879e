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
