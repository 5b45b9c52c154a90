"""postmortem's pipeline: extractors -> parser -> storage -> (dataset -> train -> evaluate)
and (index -> answer). Nothing here imports bot/."""
