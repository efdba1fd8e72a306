import Agents
import Bus

/// Weighted voting over the agents' votes, with a risk veto (issue 5).
public enum OrchestratorModule {}
