"""freezer-scheduler 19.0.0, started as its console script would, with one addition: the
option `[DEFAULT] disable_exec`. 19.0.0 registers disable_exec only under [scheduler]
(`--scheduler-disable-exec`) but its exec check reads CONF.disable_exec, so without this every
exec job dies with NoSuchOptError right after it starts and its session never ends. It takes the value of [scheduler] disable_exec; freezer's
own code runs unchanged. Copy it to the agent host and run it with the scheduler's Python, with
freezer-scheduler's own arguments (docs/agents.md); tests/clients runs the real scheduler so."""
import sys

from oslo_config import cfg

from freezer.scheduler import freezer_scheduler


def main():
    cfg.CONF.register_opt(cfg.BoolOpt("disable_exec", default=False))
    parse = freezer_scheduler.arguments.parse_args

    def parse_args(choices):
        parse(choices)
        cfg.CONF.set_override("disable_exec", cfg.CONF.scheduler.disable_exec)
    freezer_scheduler.arguments.parse_args = parse_args
    return freezer_scheduler.main()


if __name__ == "__main__":
    sys.argv[0] = "freezer-scheduler"
    sys.exit(main())
