// Unit tests for exact money: ICU exponents, decimal parsing without floats, display and the power-of-ten detector.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMoney,
  currencyExponent,
  formatMoney,
  isPowerOfTenFactor,
  money,
  normalizeCurrency,
  parseMinorUnits,
  parseMoney,
  sumMoney,
  toMajorString,
} from './money.ts';
import { unwrap } from './result.ts';

const errorsOf = (r: { ok: boolean; errors?: readonly string[] }): string => (r.ok ? '' : (r.errors ?? []).join('; '));

describe('currencyExponent', () => {
  it.each([
    ['JPY', 0],
    ['USD', 2],
    ['EUR', 2],
    ['KWD', 3],
    ['XXX', 0],
    ['usd', 2],
    ['jpy', 0],
  ])('%s has exponent %i', (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
  });

  // These follow ICU's data, so the test only insists that they agree with a sibling of known exponent.
  it('gives BHD the same exponent as KWD and CLP, KRW the same as JPY when ICU says so', () => {
    expect(currencyExponent('BHD')).toBe(currencyExponent('KWD'));
    expect(currencyExponent('CLP')).toBe(currencyExponent('JPY'));
    expect(currencyExponent('KRW')).toBe(currencyExponent('JPY'));
  });

  it.each(['ABC', 'US', 'usdd', '', 'U$D', '123', ' USD'])('rejects %j', (code) => {
    expect(currencyExponent(code)).toBeUndefined();
  });
});

describe('normalizeCurrency', () => {
  it('trims and upper-cases a known code', () => {
    expect(normalizeCurrency(' usd ')).toEqual({ ok: true, value: 'USD' });
  });
  it.each(['ABC', 'US', 'usdd', ''])('rejects %j and names it', (code) => {
    const r = normalizeCurrency(code);
    expect(r.ok).toBe(false);
    expect(errorsOf(r)).toContain(JSON.stringify(code));
  });
});

describe('parseMoney', () => {
  it.each([
    ['199.65', 'USD', 19965],
    ['12.5', 'USD', 1250],
    ['0.01', 'USD', 1],
    ['-0.05', 'USD', -5],
    ['+3', 'USD', 300],
    ['  42.10 ', 'USD', 4210],
    ['007.50', 'USD', 750],
    ['-0', 'USD', 0],
    ['-0.00', 'USD', 0],
    ['1500', 'JPY', 1500],
    ['10.00', 'JPY', 10],
    ['-7', 'JPY', -7],
    ['1.234', 'KWD', 1234],
    ['1.2', 'KWD', 1200],
    ['1.2340', 'KWD', 1234],
    ['5', 'BHD', 5000],
    ['10.000', 'USD', 1000],
    ['3', 'XXX', 3],
    ['3.0', 'XXX', 3],
    ['19.99', 'usd', 1999],
  ] as const)('%j %s → %i', (value, currency, amount) => {
    expect(parseMoney(value, currency)).toEqual({ ok: true, value: { amount, currency: currency.toUpperCase() } });
  });

  it('never returns negative zero', () => {
    expect(Object.is(unwrap(parseMoney('-0.00', 'USD')).amount, 0)).toBe(true);
    expect(Object.is(unwrap(parseMoney(-0, 'USD')).amount, 0)).toBe(true);
  });

  it.each([
    ['1.5', 'JPY'],
    ['1.234', 'USD'],
    ['0.001', 'USD'],
    ['-0.005', 'USD'],
    ['1.2345', 'KWD'],
    ['3.5', 'XXX'],
  ])('rejects %j %s because it would need rounding', (value, currency) => {
    const r = parseMoney(value, currency);
    expect(r.ok).toBe(false);
    expect(errorsOf(r)).toMatch(/rounding/);
    expect(errorsOf(r)).toContain(JSON.stringify(value));
    expect(errorsOf(r)).toContain(currency);
  });

  it.each(['', '   ', '1,000.00', '1e5', '1E5', 'NaN', 'Infinity', '-Infinity', '.', '12.', '.5', 'abc', '0x10', '--1', '+-1', '1.2.3', '1 000', '12 .5', '$12', '١٢'])(
    'rejects %j and names it',
    (value) => {
      const r = parseMoney(value, 'USD');
      expect(r.ok).toBe(false);
      expect(errorsOf(r)).toContain(JSON.stringify(value));
      expect(errorsOf(r)).toContain('USD');
    },
  );

  it.each(['ABC', 'US', 'usdd'])('rejects unknown currency %j', (currency) => {
    const r = parseMoney('1.00', currency);
    expect(r.ok).toBe(false);
    expect(errorsOf(r)).toContain(JSON.stringify(currency));
  });

  describe('number input', () => {
    it.each([
      [19.99, 'USD', 1999],
      [12.5, 'USD', 1250],
      [0, 'USD', 0],
      [-4.2, 'USD', -420],
      [1500, 'JPY', 1500],
      [0.125, 'KWD', 125],
    ] as const)('%d %s → %i', (value, currency, amount) => {
      expect(parseMoney(value, currency)).toEqual({ ok: true, value: { amount, currency } });
    });

    it('rejects 0.1 + 0.2 for USD, whose String is 0.30000000000000004', () => {
      const r = parseMoney(0.1 + 0.2, 'USD');
      expect(r.ok).toBe(false);
      expect(errorsOf(r)).toMatch(/rounding/);
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('rejects non-finite %d', (value) => {
      expect(parseMoney(value, 'USD').ok).toBe(false);
    });

    it.each([1e-7, 1e21, -1e21, 5e-324])('rejects %d, which String() writes in exponent notation', (value) => {
      const r = parseMoney(value, 'USD');
      expect(r.ok).toBe(false);
      expect(errorsOf(r)).toMatch(/exponent/);
    });
  });

  describe('near Number.MAX_SAFE_INTEGER', () => {
    it('accepts the largest safe amount exactly', () => {
      expect(unwrap(parseMoney('90071992547409.91', 'USD')).amount).toBe(Number.MAX_SAFE_INTEGER);
      expect(unwrap(parseMoney('-90071992547409.91', 'USD')).amount).toBe(-Number.MAX_SAFE_INTEGER);
      expect(unwrap(parseMoney('9007199254740991', 'JPY')).amount).toBe(Number.MAX_SAFE_INTEGER);
    });
    it.each([
      ['90071992547409.92', 'USD'],
      ['9007199254740992', 'JPY'],
      ['9007199254740993', 'JPY'],
      ['-9007199254740992', 'JPY'],
      ['1' + '0'.repeat(400), 'USD'],
    ])('rejects %s %s as too large rather than rounding', (value, currency) => {
      const r = parseMoney(value, currency);
      expect(r.ok).toBe(false);
      expect(errorsOf(r)).toMatch(/too large/);
    });
  });
});

describe('parseMinorUnits', () => {
  it.each([
    [2000, 'usd', 2000],
    ['2000', 'USD', 2000],
    [' -150 ', 'USD', -150],
    [0, 'JPY', 0],
    [Number.MAX_SAFE_INTEGER, 'USD', Number.MAX_SAFE_INTEGER],
  ] as const)('%j %s → %i', (value, currency, amount) => {
    expect(parseMinorUnits(value, currency)).toEqual({ ok: true, value: { amount, currency: currency.toUpperCase() } });
  });

  it('never returns negative zero', () => {
    expect(Object.is(unwrap(parseMinorUnits(-0, 'USD')).amount, 0)).toBe(true);
    expect(Object.is(unwrap(parseMinorUnits('-0', 'USD')).amount, 0)).toBe(true);
  });

  it.each([20.5, '20.5', '20.0', Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '9007199254740992', '', '1e3', 'abc'])(
    'rejects %j',
    (value) => {
      expect(parseMinorUnits(value, 'USD').ok).toBe(false);
    },
  );

  it('rejects an unknown currency', () => {
    expect(parseMinorUnits(100, 'ABC').ok).toBe(false);
  });
});

describe('money', () => {
  it('builds money and normalizes the code', () => {
    expect(money(100, 'usd')).toEqual({ amount: 100, currency: 'USD' });
  });
  it.each([
    [1.5, 'USD'],
    [Number.NaN, 'USD'],
    [2 ** 53, 'USD'],
    [100, 'ABC'],
  ])('throws on %d %s', (amount, currency) => {
    expect(() => money(amount, currency)).toThrow();
  });
});

describe('toMajorString', () => {
  it.each([
    [19965, 'USD', '199.65'],
    [5, 'JPY', '5'],
    [1234, 'KWD', '1.234'],
    [-5, 'USD', '-0.05'],
    [0, 'USD', '0.00'],
    [7, 'KWD', '0.007'],
    [-1500, 'JPY', '-1500'],
    [3, 'XXX', '3'],
    [Number.MAX_SAFE_INTEGER, 'USD', '90071992547409.91'],
    [-Number.MAX_SAFE_INTEGER, 'JPY', '-9007199254740991'],
  ] as const)('%i %s → %s', (amount, currency, text) => {
    expect(toMajorString(money(amount, currency))).toBe(text);
  });

  it.each([
    ['199.65', 'USD'],
    ['-0.05', 'USD'],
    ['1500', 'JPY'],
    ['1.234', 'KWD'],
    ['-12.300', 'BHD'],
  ])('round-trips %s %s through parseMoney', (text, currency) => {
    expect(toMajorString(unwrap(parseMoney(text, currency)))).toBe(text);
  });
});

describe('formatMoney', () => {
  it.each([
    [19965, 'USD', 'en-US', '$199.65'],
    [-123456, 'USD', 'en-US', '-$1,234.56'],
    [1500, 'JPY', 'en-US', '¥1,500'],
    [3, 'XXX', 'en-US', '3'],
    [Number.MAX_SAFE_INTEGER, 'USD', 'en-US', '$90,071,992,547,409.91'],
  ] as const)('%i %s in %s → %s', (amount, currency, locale, text) => {
    expect(formatMoney(money(amount, currency), locale)).toBe(text);
  });

  it('shows all three KWD decimals', () => {
    expect(formatMoney(money(1234, 'KWD'))).toContain('1.234');
  });

  it('uses the locale', () => {
    expect(formatMoney(money(123456, 'EUR'), 'de-DE')).toMatch(/^1\.234,56\s€$/);
  });
});

describe('addMoney and sumMoney', () => {
  it('adds amounts of one currency', () => {
    expect(addMoney(money(150, 'USD'), money(-50, 'USD'))).toEqual(money(100, 'USD'));
    expect(sumMoney([money(1, 'JPY'), money(2, 'JPY'), money(3, 'JPY')], 'JPY')).toEqual(money(6, 'JPY'));
    expect(sumMoney([], 'usd')).toEqual(money(0, 'USD'));
  });

  it('throws on a currency mismatch', () => {
    expect(() => addMoney(money(1, 'USD'), money(1, 'EUR'))).toThrow(/USD/);
    expect(() => sumMoney([money(1, 'USD'), money(1, 'EUR')], 'USD')).toThrow(/EUR/);
    expect(() => sumMoney([money(1, 'USD')], 'EUR')).toThrow();
  });

  it('throws on overflow rather than losing cents', () => {
    expect(() => addMoney(money(Number.MAX_SAFE_INTEGER, 'USD'), money(1, 'USD'))).toThrow(/overflow/);
    expect(() => sumMoney([money(-Number.MAX_SAFE_INTEGER, 'USD'), money(-1, 'USD')], 'USD')).toThrow(/overflow/);
    expect(addMoney(money(Number.MAX_SAFE_INTEGER - 1, 'USD'), money(1, 'USD')).amount).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('isPowerOfTenFactor', () => {
  it.each([
    [19965, 1996500, 2],
    [19965, 199650, 1],
    [1000, 100, -1],
    [1996500, 19965, -2],
    [-5, -5_000_000, 6],
    [5_000_000, 5, -6],
    [19965, 199, null],
    [19965, 19965, null],
    [5, 50_000_000, null],
    [5, -50, null],
    [0, 0, null],
    [0, 100, null],
    [100, 0, null],
    [1.5, 15, null],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, null],
    [900719925474099, Number.MAX_SAFE_INTEGER - 1, 1],
    [Number.MAX_SAFE_INTEGER, 900719925474099, null],
    [Number.MAX_SAFE_INTEGER, 90071992547409910, null],
  ] as const)('expected %d, actual %d → %s', (expected, actual, k) => {
    expect(isPowerOfTenFactor(expected, actual)).toBe(k);
  });
});

describe('properties', () => {
  it('parseMoney inverts toMajorString for every amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 13), max: 10 ** 13 }), fc.constantFrom('JPY', 'USD', 'KWD'), (amount, currency) => {
        const parsed = parseMoney(toMajorString({ amount, currency }), currency);
        expect(parsed).toEqual({ ok: true, value: { amount: amount + 0, currency } });
      }),
    );
  });
});
