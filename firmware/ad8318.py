# AD8318 log detector: 1 MHz - 8 GHz broadband power as a voltage that falls about
# 24.5 mV per dB (its slope is negative) from an intercept near +20 dBm. The slope and
# intercept come from calibration against a known source (calibration/).


class AD8318:
    def __init__(self, adc, slope_mv_per_db=-24.5, intercept_dbm=20.0, vref_mv=3300.0):
        self.adc = adc
        self.slope = slope_mv_per_db
        self.intercept = intercept_dbm
        self.vref = vref_mv

    def read_dbm(self, samples=4):
        total = 0
        for _ in range(samples):
            total += self.adc.read_u16()
        mv = total / samples * self.vref / 65535.0
        return mv / self.slope + self.intercept
