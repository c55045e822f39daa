"""The demo's data: how many orders end where, its catalogue, names, places and reasons.

Read by ``seed_demo``; nothing here touches the database.
"""

from orders.core.models import OrderStatus

DEMO_PASSWORD = "ordersite-demo"
SEED = 20261126

# Where each order ends up; sums to 300.
TARGETS = {
    "placed": 18,
    "checked": 12,
    OrderStatus.VERIFIED: 15,
    OrderStatus.BACKORDERED: 20,
    OrderStatus.ALLOCATED: 25,
    OrderStatus.PAID: 25,
    OrderStatus.PICKING: 20,
    OrderStatus.PACKED: 20,
    OrderStatus.SHIPPED: 35,
    OrderStatus.DELIVERED: 30,
    OrderStatus.COMPLETED: 50,
    OrderStatus.ON_HOLD: 10,
    OrderStatus.CANCELLED: 20,
}
ORDER_TIMESTAMPS = [
    "placed_at",
    "status_changed_at",
    "first_checked_at",
    "verified_at",
    "shipped_at",
    "delivered_at",
    "completed_at",
    "cancelled_at",
]
# How many days ago an order in each state was typically placed.
AGE_DAYS = {
    "placed": (0, 1),
    "checked": (0, 1),
    OrderStatus.VERIFIED: (0, 2),
    OrderStatus.BACKORDERED: (2, 12),
    OrderStatus.ALLOCATED: (1, 3),
    OrderStatus.PAID: (1, 4),
    OrderStatus.PICKING: (1, 4),
    OrderStatus.PACKED: (1, 5),
    OrderStatus.SHIPPED: (2, 7),
    OrderStatus.DELIVERED: (4, 12),
    OrderStatus.COMPLETED: (8, 60),
    OrderStatus.ON_HOLD: (1, 10),
    OrderStatus.CANCELLED: (1, 40),
}
CATALOGUE = [
    ("Espresso beans 1 kg", "24.90"),
    ("Filter coffee 500 g", "11.50"),
    ("Decaf beans 500 g", "12.90"),
    ("Green tea, 50 bags", "6.40"),
    ("Earl Grey, 100 g loose", "8.20"),
    ("Hand grinder", "54.00"),
    ("Electric grinder", "129.00"),
    ("Pour-over dripper", "22.00"),
    ("Paper filters, 100", "4.50"),
    ("Glass carafe 600 ml", "19.90"),
    ("Milk frother", "39.00"),
    ("Barista tamper", "29.50"),
    ("Knock box", "24.00"),
    ("Espresso cups, set of 4", "32.00"),
    ("Latte glasses, set of 2", "18.00"),
    ("Travel mug", "21.00"),
    ("Thermos 1 l", "34.00"),
    ("Kitchen scale 0.1 g", "27.90"),
    ("Gooseneck kettle", "69.00"),
    ("Cold brew bottle", "26.50"),
    ("Descaler, 3 doses", "9.90"),
    ("Cleaning tablets, 100", "14.90"),
    ("Water filter cartridge", "12.00"),
    ("Chocolate biscotti 250 g", "5.90"),
    ("Almond cantuccini 250 g", "6.30"),
    ("Syrup, vanilla 250 ml", "7.40"),
    ("Syrup, caramel 250 ml", "7.40"),
    ("Gift card box", "3.00"),
    ("Coffee subscription voucher", "45.00"),
    ("Moka pot, 6 cups", "36.00"),
]
# Products with little stock in the main warehouse, so low-stock alerts are real.
RUNNING_LOW = {"CF-1003", "CF-1008", "CF-1014"}
# Products with no stock at all, so the demo has real backorders.
OUT_OF_STOCK = {"CF-1027", "CF-1028", "CF-1029"}
FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Eva",
    "Felix",
    "Greta",
    "Hugo",
    "Ida",
    "Jonas",
    "Karla",
    "Leon",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Quirin",
    "Rosa",
    "Samuel",
    "Tara",
]
LAST = [
    "Becker",
    "Schulz",
    "Novak",
    "Rossi",
    "Dubois",
    "Jensen",
    "Kowalski",
    "Moreau",
    "Weber",
    "Fischer",
]
STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Lindenallee",
    "Marktplatz",
    "Schillerstraße",
    "Rosenweg",
    "Am Hafen",
]
CITIES = [
    ("10115", "Berlin", "DE"),
    ("20095", "Hamburg", "DE"),
    ("80331", "München", "DE"),
    ("1010", "Wien", "AT"),
    ("8001", "Zürich", "CH"),
    ("75001", "Paris", "FR"),
]
HOLD_REASONS = [
    "Customer asked to wait for a second parcel",
    "Address needs confirming",
    "Payment under review",
]
CANCEL_REASONS = [
    "Customer changed their mind",
    "Duplicate order",
    "Customer found it cheaper",
    "Address undeliverable",
]
