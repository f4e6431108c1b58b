// The vocabulary of the demo organization: names, titles and sentences the generator combines.
// Task titles and descriptions deliberately contain words people search for ("invoice",
// "migration", "dashboard", "export", "login"), so full-text search has something to find.

/** 24 first names and 25 last names: coprime lengths, so user i gets a unique pair for i < 600. */
export const FIRST_NAMES = [
  'Ana',
  'Bruno',
  'Carla',
  'Daniel',
  'Elena',
  'Felipe',
  'Grace',
  'Hugo',
  'Isabel',
  'Jonas',
  'Karin',
  'Lucas',
  'Marta',
  'Nico',
  'Olivia',
  'Pedro',
  'Quinn',
  'Rafael',
  'Sofia',
  'Tomas',
  'Uma',
  'Victor',
  'Wendy',
  'Yara',
];
export const LAST_NAMES = [
  'Silva',
  'Santos',
  'Oliveira',
  'Souza',
  'Costa',
  'Pereira',
  'Almeida',
  'Ferreira',
  'Ribeiro',
  'Carvalho',
  'Gomes',
  'Martins',
  'Rocha',
  'Lima',
  'Araujo',
  'Barbosa',
  'Moreira',
  'Nunes',
  'Mendes',
  'Teixeira',
  'Miller',
  'Schmidt',
  'Novak',
  'Tanaka',
  'Okafor',
];

/** Client names are "<A> <B>" with coprime list lengths (20 × 19 = 380 distinct names). */
export const COMPANY_A = [
  'Northwind',
  'Bluewave',
  'Silverline',
  'Acme',
  'Greenfield',
  'Redstone',
  'Brightpath',
  'Ironbridge',
  'Sunrise',
  'Clearwater',
  'Highland',
  'Lakeside',
  'Goldleaf',
  'Stonegate',
  'Oakridge',
  'Riverbend',
  'Skyline',
  'Westport',
  'Eastgate',
  'Pinecrest',
];
export const COMPANY_B = [
  'Logistics',
  'Foods',
  'Systems',
  'Labs',
  'Health',
  'Retail',
  'Energy',
  'Media',
  'Finance',
  'Motors',
  'Textiles',
  'Pharma',
  'Analytics',
  'Travel',
  'Insurance',
  'Construction',
  'Education',
  'Telecom',
  'Farms',
];

/** Project names are "<area> <kind>" with coprime list lengths (16 × 15 = 240 distinct names). */
export const PROJECT_AREAS = [
  'Billing',
  'Customer Portal',
  'Data Warehouse',
  'Mobile App',
  'Website',
  'CRM',
  'Inventory',
  'Payroll',
  'Analytics',
  'Onboarding',
  'Checkout',
  'Support Desk',
  'Reporting',
  'Identity',
  'Logistics',
  'Marketing Site',
];
export const PROJECT_KINDS = [
  'Redesign',
  'Migration',
  'Integration',
  'Rollout',
  'Upgrade',
  'Audit',
  'Dashboard',
  'Automation',
  'Revamp',
  'Consolidation',
  'Launch',
  'Optimization',
  'Modernization',
  'Pilot',
  'Expansion',
];
export const PROJECT_SENTENCES = [
  'Replace the legacy system before the contract renewal.',
  'Give the finance team a dashboard they trust.',
  'Move the data to the new platform without downtime.',
  'Cut the time from invoice to payment in half.',
  'Make the customer journey work on every phone.',
  'Automate the monthly report that takes two days by hand.',
  'Consolidate three tools into one and retire the spreadsheets.',
  'Meet the new compliance requirements for customer data.',
];

export const TASK_VERBS = [
  'Fix',
  'Implement',
  'Review',
  'Update',
  'Write tests for',
  'Design',
  'Refactor',
  'Document',
  'Deploy',
  'Investigate',
  'Migrate',
  'Automate',
  'Speed up',
];
export const TASK_OBJECTS = [
  'invoice export',
  'login page',
  'dashboard widgets',
  'database migration',
  'payment reminders',
  'search index',
  'API rate limits',
  'onboarding emails',
  'report filters',
  'mobile layout',
  'CSV import',
  'audit log view',
  'client portal',
  'backup job',
  'permissions matrix',
  'invoice PDF template',
  'sales dashboard',
];
export const TASK_SENTENCES = [
  'Customers reported that the invoice totals are rounded differently in the export.',
  'The migration must run in batches so the database stays responsive.',
  'The dashboard should load in under a second with a year of data.',
  'Follow the checklist below and link the pull request here.',
  'Coordinate with the client before changing anything visible to end users.',
  'Measure before and after; attach the numbers to this task.',
  'The login flow needs to keep working for users with MFA enabled.',
  'Keep the old report available until finance signs off on the new one.',
  'Edge cases: empty lists, very long names, time zones and leap days.',
  'Write down what we decided in the project wiki once this is done.',
];

export const COMMENTS = [
  'Looks good to me, merging after review.',
  'I reproduced it on staging; working on a fix.',
  'Blocked until the client confirms the new invoice layout.',
  'Pushed a first version, feedback welcome.',
  'The migration ran cleanly on a copy of production.',
  'Can we move the due date? The dashboard data is not ready yet.',
  'Added tests for the edge cases we discussed.',
  'Deployed to production, monitoring the error rate.',
  "Client approved the change in today's call.",
  'Splitting this into two tasks, the export part is bigger than expected.',
];

export const TIME_NOTES = [
  'implementation',
  'code review',
  'meeting with the client',
  'testing',
  'investigation',
  'documentation',
  'deployment',
  'pairing session',
  '',
];

export const TASK_TAGS = ['bug', 'feature', 'frontend', 'backend', 'infra', 'docs', 'customer', 'tech-debt'];
export const PROJECT_TAGS = ['internal', 'billable', 'fixed-price', 'strategic', 'maintenance', 'q-priority'];
export const CLIENT_TAGS = ['enterprise', 'smb', 'retail', 'saas', 'priority', 'partner', 'public-sector'];
export const CLIENT_NOTES = [
  'Prefers e-mail over calls; monthly review on the first Tuesday.',
  'Decision maker is the CFO; procurement needs three quotes.',
  'Expanding to two new regions next year.',
  'Sensitive about downtime during their peak season.',
  'Asked for a dashboard of open invoices.',
  'Came through a partner referral.',
];

export const CONTACT_TITLES = [
  'CEO',
  'CFO',
  'CTO',
  'Head of Operations',
  'Project Manager',
  'Procurement',
  'IT Lead',
];
export const CONSENT_SOURCES = [
  'web form',
  'WhatsApp opt-in',
  'signed contract',
  'phone call',
  'event sign-up',
];

/** Milestones of a project, in order; a project with n milestones takes evenly spaced ones. */
export const MILESTONES = [
  'Kickoff',
  'Requirements signed off',
  'Design approved',
  'Beta release',
  'User acceptance',
  'Go-live',
  'Handover',
];
export const EXPENSE_CATEGORIES = ['software', 'travel', 'hardware', 'contractor', 'training', 'hosting'];
export const EXPENSE_NOTES = [
  'Annual license',
  'Flight and hotel for the workshop',
  'Test devices',
  'External specialist',
  'Team training',
  'Cloud hosting for staging',
  '',
];

export const DEAL_TITLES = [
  'Annual support plan',
  'Website redesign',
  'Data platform pilot',
  'CRM rollout',
  'Managed hosting',
  'Training package',
  'API integration',
  'Security audit',
  'Mobile app build',
  'Analytics dashboard',
];
export const PAYMENT_METHODS = ['bank_transfer', 'card', 'pix', 'boleto', 'check'];

export const FEEDBACK_GOOD = [
  'Great team, delivered on time.',
  'Very responsive and the dashboard is exactly what we needed.',
  'Smooth migration, no downtime.',
  'Clear communication throughout the project.',
];
export const FEEDBACK_NEUTRAL = ['Good work overall, a few delays.', 'Fine, but invoices could be clearer.'];
export const FEEDBACK_BAD = [
  'Missed the deadline twice.',
  'Too many bugs after go-live.',
  'Hard to reach the team when something breaks.',
];

export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
];
