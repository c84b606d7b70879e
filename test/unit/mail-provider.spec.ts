import { domainOf } from "../../services/notifications/mail-provider";

describe("the sender's domain, for Message-IDs", () => {
	it.each([
		["Moleculer Shop <shop@localhost>", "localhost"],
		["orders@shop.example", "shop.example"],
		["Shop Orders <orders@mail.shop.example>", "mail.shop.example"],
		["no address at all", "shop.invalid"],
	])("when the sender is %s, then the domain is %s", (from, domain) => {
		expect(domainOf(from)).toBe(domain);
	});
});
