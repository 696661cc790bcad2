{{ cost_per_stage_monthly('campaign_key') }}
