{#
    The credit of every eligible touch in every attribution model (zero credits included), or
    one `unattributed` credit of 1 per model for an opportunity without an eligible touch.
    For n eligible touches t1..tn (docs/certified_tables.md, Attribution):
      first_touch     t1 = 1
      last_touch      tn = 1
      linear          1/n each
      position_based  n = 1: 1; n = 2: 0.5 each; n >= 3: t1 = tn = 0.4, others 0.2/(n-2)
      w_shaped        n = 1: 1; else roles t1, L (lead-creation touch), tn each add 0.3; the
                      touches without a role share 0.1, or, when every touch holds a role, the
                      distinct role holders share it (n = 2 with L = t1: 0.65 / 0.35)
      time_decay      2^(-age_days / time_decay_half_life_days), normalized to sum 1
    Credits of one opportunity in one model sum to 1.
#}
{#-
    A view: its rules are the macro `attribution_credits` (macros/attribution_macros.sql),
    which fct_attribution_credits applies to the opportunities it recomputes, so the credits
    are stored once, there. Its unit tests pin the rules; the data tests of the stored
    credits (unique, summing to one per opportunity and model) are on fct_attribution_credits.
#}
{{ config(materialized='view') }}

{{ attribution_credits(ref('int_attribution_touches_eligible'), ref('int_opportunities_converted')) }}
