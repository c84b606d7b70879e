/**
 * One example request per action (its params as the action receives them: path, query and body in one
 * object), for the docs page and Schemathesis' examples phase. The document places each field where the
 * route reads it. test/unit/openapi/openapi-document.spec.ts checks each against the action's own params.
 */
export const REQUEST_EXAMPLES: Record<string, Record<string, unknown>> = {
	"auth.signup": { email: "ada@example.com", password: "correct horse battery" },
	"auth.login": { email: "ada@example.com", password: "correct horse battery" },
	"auth.refresh": { refreshToken: "h1Xc2mJ4q8Zr0pLw7sNn3VbYt5Ue9Kd6" },
	"auth.changePassword": { currentPassword: "correct horse battery", newPassword: "staple battery horse correct" },
	"users.updateProfile": { displayName: "Ada Lovelace", phone: "+441632960961" },
	"users.updatePreferences": { language: "en-GB", currency: "GBP", marketingEmails: false },
	"users.addAddress": {
		label: "Home",
		recipient: "Ada Lovelace",
		line1: "12 St James's Square",
		city: "London",
		postalCode: "SW1Y 4JH",
		country: "GB",
		isDefault: true,
	},
	"products.list": { page: 1, size: 20, q: "mug", sort: "price_asc" },
	"products.get": { id: "7f8e4c52-3f0e-4d4b-9a53-1b2f6f0a9c11" },
	"products.create": {
		sku: "TEE-BLUE-M",
		name: "Blue T-shirt (M)",
		description: "Organic cotton.",
		category: "apparel",
		priceCents: 1999,
		currency: "EUR",
	},
	"search.products": { q: "mug", category: "kitchen", page: 1, size: 20 },
	"search.autocomplete": { q: "mu", limit: 5 },
	"cart.addItem": { productId: "7f8e4c52-3f0e-4d4b-9a53-1b2f6f0a9c11", quantity: 2 },
	"inventory.setStock": { sku: "DEMO-MUG", available: 50 },
	"inventory.getStock": { sku: "DEMO-TSHIRT" },
	"inventory.reserve": { orderId: "order-1001", sku: "DEMO-TSHIRT", quantity: 2 },
	"inventory.release": { orderId: "order-1001", sku: "DEMO-TSHIRT" },
	"inventory.confirm": { orderId: "order-1001", sku: "DEMO-TSHIRT" },
	"orders.create": { items: [{ sku: "DEMO-MUG", quantity: 1 }], paymentMethod: "sandbox_authorize" },
	"orders.list": { page: 1, size: 20 },
	"payments.createIntent": {
		orderId: "order-1001",
		amountCents: 1999,
		currency: "EUR",
		paymentMethod: "sandbox_authorize",
	},
	"payments.setOutageMode": { enabled: false },
};
