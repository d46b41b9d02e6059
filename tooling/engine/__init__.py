"""Everything that talks to something outside this process: Docker engines (a container, an
image build, a swarm and what it keeps), a registry, git. Each module returns data or raises
ToolError; none prints."""
