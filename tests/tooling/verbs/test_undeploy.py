"""inv undeploy against Swarm's answers played back: it waits for the containers, forgets the
history, lets go of the lock, and says what would not go."""


def test_undeploy_waits_for_the_containers_and_forgets_the_history(cluster, inv):
    _, history = cluster
    result = inv("undeploy")
    assert result.code == 0, result.err
    assert result.out.strip() == "removed flask-service: 2 services, 1 network, 1 config"
    assert "removing flask-service: 2 services, 1 network left, replicas stopping" in result.err, "a live line"
    assert history.records == [] and history.lock is None
    again = inv("undeploy")
    assert again.code == 0 and "flask-service is not deployed: nothing to remove" in again.out


def test_undeploy_says_what_would_not_go(cluster, inv, fast_clock):
    swarm, history = cluster
    swarm.stuck_networks = ["flask-service_backend"]  # a container of another stack still attached, say
    fast_clock(30.0)
    result = inv("undeploy")
    assert result.code == 1
    assert result.err.strip().splitlines()[-1] == (
        "error: flask-service still has 1 network after 300s (a container outside the stack may use it: "
        "`docker network inspect flask-service_backend`); run `inv undeploy` again"
    )
    assert history.lock is None
