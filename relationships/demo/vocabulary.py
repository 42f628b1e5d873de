"""Words the demo portfolio is made of: company and people names, titles, notes, reasons."""

NOTES = {
    "email": ["Answered questions on the current order.", "Sent the monthly delivery report."],
    "call": ["Checked in on open items.", "Call about next quarter's volumes."],
    "meeting": ["Reviewed progress against the plan.", "Met the team to discuss open issues."],
    "workshop": ["Ran a workshop on their operating model.", "Co-designed next year's roadmap."],
    "business_review": ["Quarterly business review.", "Annual review of service levels."],
    "planning_session": ["Joined their planning session.", "Helped shape next year's plan."],
    "social": ["Dinner with the leadership team.", "Industry event together."],
    "other": ["Miscellaneous contact."],
}

# Industries and the words their company names use.
INDUSTRY_NAME_WORDS = {
    "Logistics": ["Freight", "Logistics", "Shipping", "Transport"],
    "Retail": ["Retail", "Stores", "Foods", "Markets"],
    "Banking": ["Bank", "Capital", "Finance"],
    "Insurance": ["Mutual", "Insurance", "Assurance"],
    "Healthcare": ["Health", "Care", "Clinics"],
    "Energy": ["Energy", "Power", "Utilities"],
    "Manufacturing": ["Works", "Industries", "Manufacturing"],
    "Telecommunications": ["Telecom", "Networks", "Communications"],
    "Media": ["Media", "Publishing", "Studios"],
    "Pharmaceuticals": ["Pharma", "Labs", "Biosciences"],
    "Construction": ["Builders", "Construction", "Engineering"],
    "Software": ["Systems", "Software", "Digital"],
}
INDUSTRIES = list(INDUSTRY_NAME_WORDS)
NAME_FIRST = [
    "Northwind",
    "Bluepeak",
    "Cedar",
    "Harbour",
    "Ironbridge",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Oakridge",
    "Pinnacle",
    "Quarry",
    "Redwood",
    "Silverline",
    "Tidewater",
    "Upland",
    "Vantage",
    "Westgate",
    "Yarrow",
    "Zenith",
    "Alder",
    "Brightwater",
    "Coastal",
    "Driftwood",
    "Evergreen",
    "Fairfield",
    "Granite",
    "Highfield",
    "Islay",
    "Larkspur",
]
NAME_SUFFIX = ["", "", "", " Ltd", " plc", " GmbH", " SA", " & Co"]
PERSON_FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Daniel",
    "Elif",
    "Felix",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kara",
    "Liam",
    "Maya",
    "Nils",
    "Olga",
    "Pavel",
    "Rosa",
    "Sami",
    "Tess",
    "Umar",
    "Vera",
    "Will",
]
PERSON_LAST = [
    "Adams",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haas",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Murphy",
    "Novak",
    "Olsen",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Varga",
    "Weber",
]
TITLES = {
    "executive_sponsor": ["Chief Operating Officer", "Managing Director", "CFO"],
    "decision_maker": ["Head of Procurement", "Operations Director", "IT Director"],
    "influencer": ["Programme Manager", "Head of Strategy", "Finance Manager"],
    "user": ["Team Lead", "Analyst", "Coordinator"],
}
MISSIONS = [
    "Become the region's most reliable {industry} provider.",
    "Double digital revenue within five years while keeping service costs flat.",
    "Be first choice for customers who value service over price.",
    "Serve every customer within a day, anywhere in the country.",
]
PRESSURES = [
    "New regulation on data handling",
    "Low-cost competitors entering the market",
    "Rising energy and input costs",
    "Customers moving to self-service channels",
    "Skills shortage in key roles",
    "Consolidation among their own customers",
    "Pressure from investors to cut costs",
]
# Our side of the relationship: where we want it to go (docs/model.md, The account record), and the
# next step.
OBJECTIVES = [
    "Be the partner they call before any decision on {industry} operations.",
    "Earn a seat in their annual planning within a year.",
    "Grow from one service line to their whole operation, with shared targets.",
]
# For regular customers, who want a dependable supplier and no more (docs/model.md, The account
# record).
REGULAR_OBJECTIVE = "Keep the service steady and the contact regular; no more than that is wanted."
NEXT_STEPS = [
    "Bring the market outlook to the operations director",
    "Propose a joint review of last quarter's service levels",
    "Invite their head of strategy to our customer forum",
    "Send the benchmark study their CFO asked about",
    "Agree a governance meeting every quarter",
    "Introduce our specialist on their new regulation",
]
LOST_REASONS = [
    "Moved the work to a cheaper competitor after a re-tender.",
    "Our offering no longer fitted their direction.",
    "New leadership brought in their previous supplier.",
    "Repeated delivery problems eroded confidence.",
    "Stopped answering; the contract lapsed without a renewal talk.",
    "Would not pay our price any longer; bought from the lowest bidder.",
]
