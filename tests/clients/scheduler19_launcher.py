"""freezer-scheduler 19.0.0, started as its console script would, with one addition: the
option `[DEFAULT] disable_exec`. 19.0.0 registers disable_exec only under [scheduler]
(`--scheduler-disable-exec`) but its exec check reads CONF.disable_exec, so without this every
exec job dies with NoSuchOptError right after it starts (DECISIONS.md, "What the real freezer
scheduler (19.0.0, v2) needs"). It takes the value of [scheduler] disable_exec; freezer's
own code runs unchanged. Run by .venv-clients' python (tests/clients/agents.py)."""
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
