# The main rules of the minors and hot-list-integrity reference policies,
# written in Rego for the peer-engine comparison in tests/benches/chain.rs.
# `drops` is the set of candidate ids the two policies drop, as a chain of
# both would; the benchmark checks it against recguard's outcome before
# timing anything. Defaults as in the policies' settings.
package recguard

minor_bands := {"under8", "from8to12", "from12to16", "from16to18"}

blocked_risk_tags := {"unsafe-imitation", "bad-habit", "immoral", "violence", "gambling", "self-harm"}

blocked_topics := {"fan-voting", "fan-ranking", "fan-fundraising", "traffic-boosting", "celebrity-ranking"}

# The content pool of the 12–16 band.
pool := {
	"education", "children", "animation", "nature", "music", "science",
	"sports", "culture", "history", "reading", "arts",
	"news", "technology", "health",
}

key_surfaces := {"home-first-screen", "hot-search", "curated-picks", "hot-list", "pop-up"}

celebrity_topics := {"celebrity-ranking", "celebrity-popularity"}

# Beijing time, as the minors policy keeps it by default.
local_minutes := floor(input["now-ms"] / 60000) + 480

day := floor(local_minutes / 1440)

minute_of_day := local_minutes - (day * 1440)

# 0 is Monday (1970-01-01 was a Thursday).
weekday := (day + 3) % 7

game_time if {
	weekday in {4, 5, 6}
	minute_of_day >= 1200
	minute_of_day < 1260
}

minor if input.user["age-band"] in minor_bands

minors_reason(c) if {
	some tag in c["risk-tags"]
	tag in blocked_risk_tags
}

minors_reason(c) if {
	some topic in c.topics
	topic in blocked_topics
}

minors_reason(c) if {
	c.kind == "game"
	not input.user["identity-verified"]
}

minors_reason(c) if {
	c.kind == "game"
	not game_time
}

minors_reason(c) if {
	some topic in c.topics
	not topic in pool
}

minors_reason(c) if count(c.topics) == 0

minors_drops contains c.id if {
	minor
	some c in input.candidates
	minors_reason(c)
}

hot_list_reason(c) if c.kind == "ad"

hot_list_reason(c) if {
	some topic in c.topics
	topic in celebrity_topics
}

hot_list_reason(c) if c.engagement["low-reputation-share"] > 0.5

hot_list_drops contains c.id if {
	input.surface in key_surfaces
	some c in input.candidates
	hot_list_reason(c)
}

drops := minors_drops | hot_list_drops
