"""Pure data and judgement, no I/O: what a release is, what Swarm's answers hold, how a rollout is
judged, what a deploy asks of Swarm. Unit-tested as data; the engine layer fills them in."""
