#!/usr/bin/env python3
"""Writes backtesting.py's trade list for the SmaCross(10, 20) example on data/GOOG.csv.

The reference for Tests/Golden/sma-cross-backtesting-py.csv, which pins
`agora backtest --config examples/sma-cross.json` trade for trade. Not used by Agora
itself; to regenerate:

    python3 -m venv /tmp/bt && /tmp/bt/bin/pip install backtesting==0.6.6
    /tmp/bt/bin/python scripts/parity/sma_cross_backtesting_py.py data/GOOG.csv > Tests/Golden/sma-cross-backtesting-py.csv
"""
import sys

import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover


def SMA(values, n):
    return pd.Series(values).rolling(n).mean()


class SmaCross(Strategy):
    n1, n2 = 10, 20

    def init(self):
        self.fast = self.I(SMA, self.data.Close, self.n1)
        self.slow = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.fast, self.slow):
            if not self.position:
                self.buy()
        elif crossover(self.slow, self.fast):
            self.position.close()


data = pd.read_csv(sys.argv[1], index_col=0, parse_dates=True)[["Open", "High", "Low", "Close", "Volume"]]
stats = Backtest(data, SmaCross, cash=100_000, commission=0, finalize_trades=True).run()
print("entry_time,exit_time,quantity,entry_price,exit_price,pnl")
for t in stats._trades.itertuples():
    print(f"{t.EntryTime:%Y-%m-%d},{t.ExitTime:%Y-%m-%d},{t.Size},{t.EntryPrice!r},{t.ExitPrice!r},{t.PnL!r}")
print(f"# equity_final {stats['Equity Final [$]']!r}", file=sys.stderr)
