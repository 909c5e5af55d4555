variable "alert_email" {
  description = "E-mail address every alert and the budget notify."
  type        = string
}

variable "trades_topic" {
  description = "Short name of the trades topic."
  type        = string
}

variable "undeliverable_subscription" {
  description = "Short name of the subscription holding dead-lettered messages."
  type        = string
}

variable "loader_function" {
  description = "Name of the loader function (its Cloud Run service)."
  type        = string
}

variable "raw_dataset" {
  description = "The raw dataset (crypto_raw)."
  type        = string
}

variable "bigquery_location" {
  description = "Location of the datasets and the scheduled query."
  type        = string
}

variable "freshness_minutes" {
  description = "Alert when no window was loaded for this long (the pipeline flushes every 2 minutes)."
  type        = number
}

variable "completeness_lookback_hours" {
  description = "Hours of windows the missing-trade-id assertion checks."
  type        = number
}

variable "completeness_settle_minutes" {
  description = "Newest minutes the assertion leaves out (their panes are still arriving)."
  type        = number
}

variable "billing_account" {
  description = "Billing account id (XXXXXX-XXXXXX-XXXXXX) of the budget; empty: no budget."
  type        = string
}

variable "monthly_budget" {
  description = "Monthly budget, in budget_currency."
  type        = number
}

variable "budget_currency" {
  description = "Currency of the budget (the billing account's)."
  type        = string
}
