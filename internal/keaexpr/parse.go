package keaexpr

import (
	"net/netip"
	"strconv"
	"strings"
)

// Env is what an expression may refer to.
type Env struct {
	// Option says whether a DHCPv4 option name is defined (Kea's standard
	// definitions, or an option-def).
	Option func(name string) bool
	// Class says whether member('name') may name the class: defined
	// before the class being checked, or built into Kea.
	Class func(name string) bool
}

// Check parses a class test as kea-dhcp4 does and returns the first
// mistake, as an *Error.
func Check(expr string, env Env) error {
	toks, err := lex(expr)
	if err != nil {
		return err
	}
	p := &parser{toks: toks, env: env}
	if strings.TrimSpace(expr) == "" {
		return errAt(0, "the expression is empty")
	}
	if err := p.boolExpr(); err != nil {
		return err
	}
	if t := p.peek(); t.kind != tEOF {
		return errAt(t.at, "unexpected %s after a complete expression", t)
	}
	return nil
}

type parser struct {
	toks []token
	pos  int
	env  Env
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.kind == tPunct || t.kind == tName) && t.text == text
}

func (p *parser) expect(text, what string) error {
	if !p.is(text) {
		return errAt(p.peek().at, "expected %q %s, found %s", text, what, p.peek())
	}
	p.next()
	return nil
}

// boolExpr: or of ands of (not) primaries; "not" binds tightest, "or"
// loosest, both left-associative.
func (p *parser) boolExpr() error { return p.chain(p.andExpr, "or") }

func (p *parser) andExpr() error { return p.chain(p.notExpr, "and") }

// chain parses operand (op operand)*; more, the rest after a first
// operand already parsed.
func (p *parser) chain(operand func() error, op string) error {
	if err := operand(); err != nil {
		return err
	}
	return p.more(operand, op)
}

func (p *parser) more(operand func() error, op string) error {
	for p.is(op) {
		p.next()
		if err := operand(); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) notExpr() error {
	if p.is("not") {
		p.next()
		return p.notExpr()
	}
	return p.boolPrimary()
}

// boolPrimary is a parenthesised condition, member(), known, unknown, an
// .exists test, or a comparison of two strings.
func (p *parser) boolPrimary() error {
	t := p.peek()
	switch {
	case p.is("("):
		p.next()
		if err := p.boolExpr(); err != nil {
			return err
		}
		return p.expect(")", "to close the parenthesis")
	case p.is("member"):
		p.next()
		if err := p.expect("(", "after member"); err != nil {
			return err
		}
		s := p.next()
		if s.kind != tString {
			return errAt(s.at, "member() takes a class name in quotes, found %s", s)
		}
		if name := strings.Trim(s.text, "'"); p.env.Class != nil && !p.env.Class(name) {
			return errAt(s.at, "member('%s'): no such class is defined before this one (Kea allows only earlier classes and its built-in ones)", name)
		}
		return p.expect(")", "to close member(")
	case p.is("known"), p.is("unknown"):
		// In the ARM's tables, but 2.2.0, 2.6.3 and 3.0.4 all refuse it.
		return errAt(t.at, "%s is not a word Kea's parser knows: write member('KNOWN') or not member('KNOWN')", t.text)
	case t.kind == tEOF:
		return errAt(t.at, "expected a condition, found the end of the expression")
	}
	isBool, err := p.stringOrExists()
	if err != nil || isBool {
		return err
	}
	if err := p.more(p.stringTerm, "+"); err != nil {
		return err
	}
	if !p.is("==") {
		return errAt(p.peek().at, "expected == to compare the value with another, found %s: a value alone is not a condition", p.peek())
	}
	p.next()
	return p.stringExpr()
}

// stringExpr is one or more string terms joined by +.
func (p *parser) stringExpr() error { return p.chain(p.stringTerm, "+") }

// stringTerm is a value: a term that is not an .exists test.
func (p *parser) stringTerm() error {
	at := p.peek().at
	isBool, err := p.stringOrExists()
	if err == nil && isBool {
		return errAt(at, "an .exists test is a condition, not a value: it cannot be compared or joined")
	}
	return err
}

// stringOrExists parses a value, or one of the access forms that may end
// in .exists instead (then isBool).
func (p *parser) stringOrExists() (isBool bool, err error) {
	t := p.next()
	switch t.kind {
	case tString, tHex, tInt:
		return false, nil
	case tAddr:
		if _, err := netip.ParseAddr(t.text); err != nil {
			return false, errAt(t.at, "%s is not an IP address", t.text)
		}
		return false, nil
	case tEOF:
		return false, errAt(t.at, "expected a value, found the end of the expression")
	case tPunct:
		return false, errAt(t.at, "expected a value, found %s", t)
	}
	switch t.text {
	case "option":
		return p.optionAccess(true)
	case "relay4":
		if err := p.code("relay4", "sub-option code", false); err != nil {
			return false, err
		}
		return p.repr(true)
	case "vendor":
		return p.vendor()
	case "vendor-class":
		return p.vendorClass()
	case "pkt":
		return false, p.field("pkt", "iface", "src", "dst", "len")
	case "pkt4":
		return false, p.field("pkt4", "mac", "hlen", "htype", "ciaddr", "giaddr", "yiaddr", "siaddr", "msgtype", "transid")
	case "pkt6", "relay6":
		return false, errAt(t.at, "%s can only be used in DHCPv6", t.text)
	case "substring":
		return false, p.call("substring", p.stringExpr, p.integer, p.lengthArg)
	case "split":
		return false, p.call("split", p.stringExpr, p.stringExpr, p.integer)
	case "concat":
		return false, p.call("concat", p.stringExpr, p.stringExpr)
	case "ifelse":
		return false, p.call("ifelse", p.boolExpr, p.stringExpr, p.stringExpr)
	case "hexstring":
		return false, p.call("hexstring", p.stringExpr, p.stringExpr)
	case "addrtotext", "int8totext", "int16totext", "int32totext", "uint8totext", "uint16totext", "uint32totext":
		return false, p.call(t.text, p.stringExpr)
	case "not", "and", "or", "member", "known", "unknown":
		return false, errAt(t.at, "expected a value, found the condition word %q", t.text)
	}
	return false, errAt(t.at, "unknown word %q: not a value, function or field of Kea's expressions", t.text)
}

// optionAccess: option[code] then .text, .hex, .exists, or .option[sub]
// and one of those.
func (p *parser) optionAccess(allowSub bool) (bool, error) {
	if err := p.code("option", "option code or name", true); err != nil {
		return false, err
	}
	if err := p.expect(".", "after option[...]"); err != nil {
		return false, err
	}
	if allowSub && p.is("option") {
		p.next()
		if err := p.code("option", "sub-option code", false); err != nil {
			return false, err
		}
		if err := p.expect(".", "after option[...]"); err != nil {
			return false, err
		}
	}
	return p.reprWord()
}

// repr reads ".text", ".hex" or ".exists".
func (p *parser) repr(allowExists bool) (bool, error) {
	if err := p.expect(".", "before text, hex or exists"); err != nil {
		return false, err
	}
	isBool, err := p.reprWord()
	if err == nil && isBool && !allowExists {
		return false, errAt(p.toks[p.pos-1].at, "exists is not allowed here")
	}
	return isBool, err
}

func (p *parser) reprWord() (bool, error) {
	t := p.next()
	switch {
	case t.kind == tName && (t.text == "text" || t.text == "hex"):
		return false, nil
	case t.kind == tName && t.text == "exists":
		return true, nil
	}
	return false, errAt(t.at, "expected text, hex or exists, found %s", t)
}

// code reads "[code]"; names are allowed only for top-level options.
func (p *parser) code(of, what string, names bool) error {
	if err := p.expect("[", "after "+of); err != nil {
		return err
	}
	t := p.next()
	switch {
	case t.kind == tInt:
		n, err := strconv.Atoi(t.text)
		if err != nil || n < 0 || n > 255 {
			return errAt(t.at, "%s %s is out of range: DHCPv4 codes are 0 to 255", what, t.text)
		}
	case t.kind == tName && names && p.is("]"):
		if p.env.Option != nil && !p.env.Option(t.text) {
			return errAt(t.at, "option %q is not defined: use a standard DHCPv4 option name or the code", t.text)
		}
	default:
		return errAt(t.at, "expected a %s in %s[...], found %s", what, of, t)
	}
	return p.expect("]", "to close "+of+"[")
}

// vendor: vendor.enterprise, vendor[id].exists, vendor[id].option[code]...
func (p *parser) vendor() (bool, error) {
	if p.is(".") {
		p.next()
		return false, p.expect("enterprise", "after vendor.")
	}
	if err := p.enterprise("vendor"); err != nil {
		return false, err
	}
	if err := p.expect(".", "after vendor[...]"); err != nil {
		return false, err
	}
	if p.is("exists") {
		p.next()
		return true, nil
	}
	if err := p.expect("option", "or exists after vendor[...]."); err != nil {
		return false, err
	}
	if err := p.code("option", "sub-option code", false); err != nil {
		return false, err
	}
	return p.repr(true)
}

// vendorClass: vendor-class.enterprise, vendor-class[id].exists,
// vendor-class[id].data, vendor-class[id].data[index].
func (p *parser) vendorClass() (bool, error) {
	if p.is(".") {
		p.next()
		return false, p.expect("enterprise", "after vendor-class.")
	}
	if err := p.enterprise("vendor-class"); err != nil {
		return false, err
	}
	if err := p.expect(".", "after vendor-class[...]"); err != nil {
		return false, err
	}
	switch {
	case p.is("exists"):
		p.next()
		return true, nil
	case p.is("data"):
		p.next()
		if p.is("[") {
			p.next()
			if err := p.integer(); err != nil {
				return false, err
			}
			return false, p.expect("]", "to close data[")
		}
		return false, nil
	}
	return false, errAt(p.peek().at, "expected exists or data after vendor-class[...]., found %s", p.peek())
}

func (p *parser) enterprise(of string) error {
	if err := p.expect("[", "after "+of); err != nil {
		return err
	}
	t := p.next()
	if !(t.kind == tPunct && t.text == "*") {
		if t.kind != tInt {
			return errAt(t.at, "expected an enterprise id or * in %s[...], found %s", of, t)
		}
		if _, err := strconv.ParseUint(t.text, 10, 32); err != nil {
			return errAt(t.at, "enterprise id %s is not a 32-bit unsigned number", t.text)
		}
	}
	return p.expect("]", "to close "+of+"[")
}

func (p *parser) field(of string, fields ...string) error {
	if err := p.expect(".", "after "+of); err != nil {
		return err
	}
	t := p.next()
	for _, f := range fields {
		if t.kind == tName && t.text == f {
			return nil
		}
	}
	return errAt(t.at, "%s has no field %s: it has %s", of, t, strings.Join(fields, ", "))
}

// call reads "(arg, arg, ...)" with each argument's own parser.
func (p *parser) call(name string, args ...func() error) error {
	if err := p.expect("(", "after "+name); err != nil {
		return err
	}
	for i, arg := range args {
		if i > 0 {
			if err := p.expect(",", "between the arguments of "+name+"()"); err != nil {
				return err
			}
		}
		if err := arg(); err != nil {
			return err
		}
	}
	return p.expect(")", "to close "+name+"(: it takes "+strconv.Itoa(len(args))+" arguments")
}

func (p *parser) integer() error {
	if t := p.next(); t.kind != tInt {
		return errAt(t.at, "expected a whole number, found %s", t)
	}
	return nil
}

func (p *parser) lengthArg() error {
	if p.is("all") {
		p.next()
		return nil
	}
	return p.integer()
}
