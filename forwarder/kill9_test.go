package forwarder

const childEnv = "BRIDGE_FORWARDER_CHILD"

func childMain() int { return 0 }
