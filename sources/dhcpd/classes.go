package dhcpd

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Classes: dhcpd's class, match if, match and subclass, as Kea client
// classes with test expressions where Kea's expression language says the
// same thing.

// class converts class "NAME" { match if EXPR; … } or { match EXPR; }
// (whose members subclass statements then name).
func (c *conv) class(st *stmt) {
	if len(st.words) != 2 {
		c.wrong(st.pos, "%s: want class NAME", st.text())
		return
	}
	cl := &model.ClientClass{Name: st.arg(1), Comment: st.comment, Pos: st.pos, TestPos: st.pos}
	sc := &scope{kind: "class", pos: st.pos}
	for _, in := range st.block {
		switch kw := in.keyword(); {
		case in.hasBlock:
			c.notConverted(in.pos, "%s in class %s not converted: Kea's classes hold no statements", in.text(), cl.Name)
		case kw == "match" && strings.EqualFold(in.arg(1), "if"):
			test, err := translate(in.words[2:])
			if err != nil {
				c.notConverted(in.pos, "class %s: %s not converted: %v", cl.Name, in.text(), err)
				continue
			}
			cl.Test, cl.TestPos = test, in.pos
		case kw == "match":
			expr, err := translate(in.words[1:])
			if err != nil {
				c.notConverted(in.pos, "class %s: %s not converted: %v", cl.Name, in.text(), err)
				continue
			}
			c.matchExprs[cl.Name] = expr
		case kw == "spawn":
			c.notConverted(in.pos, "class %s: %s not converted: Kea 2.6 and later spawn classes with a template class (template-test), which keaops writes only for a test it can translate", cl.Name, in.text())
		case kw == "lease":
			c.notConverted(in.pos, "class %s: %s not converted: Kea limits leases per class with its limits hook", cl.Name, in.text())
		case c.param(in, sc):
		default:
			c.notConverted(in.pos, "class %s: %s not converted", cl.Name, in.text())
		}
	}
	cl.Options, cl.Lifetimes, cl.Settings = sc.options, sc.life, sc.settings
	if c.classIndex[cl.Name] != nil {
		c.wrong(st.pos, "class %s is declared twice", cl.Name)
		return
	}
	c.classIndex[cl.Name] = cl
	c.conf.Site.Classes = append(c.conf.Site.Classes, cl)
}

// subclass converts subclass "CLASS" VALUE [{ … }]: VALUE joins the
// class's test; a subclass with parameters of its own is a Kea class of
// its own, with the same test for that value.
func (c *conv) subclass(st *stmt) {
	if len(st.words) != 3 {
		c.wrong(st.pos, "%s: want subclass CLASS VALUE", st.text())
		return
	}
	parent := c.classIndex[st.arg(1)]
	expr, ok := c.matchExprs[st.arg(1)]
	switch {
	case parent == nil:
		c.wrong(st.pos, "subclass of %s, which no class before it declares", st.arg(1))
		return
	case !ok:
		c.notConverted(st.pos, "%s not converted: class %s has no match expression keaops could translate", st.text(), parent.Name)
		return
	}
	val, err := literal(st.words[2])
	if err != nil {
		c.notConverted(st.pos, "%s not converted: %v", st.text(), err)
		return
	}
	if strings.HasPrefix(expr, "pkt4.mac") {
		// match hardware: the values carry the hardware type first.
		val = strings.Replace(val, "0x01", "0x", 1)
	}
	test := expr + " == " + val
	if parent.Test == "" {
		parent.Test = test
	} else {
		parent.Test += " or " + test
	}
	if !st.hasBlock || len(st.block) == 0 {
		return
	}
	sc := &scope{kind: "class", pos: st.pos}
	for _, in := range st.block {
		if !c.param(in, sc) {
			c.notConverted(in.pos, "subclass %s %s: %s not converted", st.arg(1), st.arg(2), in.text())
		}
	}
	name := fmt.Sprintf("%s:%s", parent.Name, strings.Trim(st.arg(2), `"`))
	c.conf.Site.Classes = append(c.conf.Site.Classes, &model.ClientClass{Name: name, Test: test, Options: sc.options, Lifetimes: sc.life,
		Settings: sc.settings, Comment: "subclass " + st.arg(2) + " of " + parent.Name, Pos: st.pos, TestPos: st.pos})
}

// checkClassPrecedence reports where dhcpd and Kea would send different
// values: dhcpd lets a class's option override a subnet's, Kea the other
// way round (reservation, pool, subnet, shared network, class, global).
func (c *conv) checkClassPrecedence() {
	s := c.conf.Site
	for _, cl := range s.Classes {
		for _, o := range cl.Options {
			for _, sn := range s.Subnets {
				for _, so := range sn.Options {
					if so.Key() == o.Key() {
						c.notConverted(o.Pos, "class %s sets option %s, which subnet %s sets too: dhcpd sends the class's to its members, Kea the subnet's (a subnet's options take precedence over a class's in Kea); converted as written",
							cl.Name, o.Label(), sn.Prefix)
					}
				}
			}
		}
	}
}

// exprCodes are the options dhcpd expressions name, by Kea's code.
var exprCodes = map[string]int{
	"vendor-class-identifier": 60, "user-class": 77, "dhcp-client-identifier": 61, "host-name": 12,
	"dhcp-parameter-request-list": 55, "dhcp-message-type": 53, "dhcp-requested-address": 50,
	"client-system": 93, "pxe-system-type": 93, "domain-name": 15,
}

// translate turns a dhcpd boolean or data expression into Kea's.
func translate(ws []token) (string, error) {
	e := &exprParser{ws: ws}
	out, err := e.or()
	if err != nil {
		return "", err
	}
	if e.i < len(ws) {
		return "", fmt.Errorf("%q: keaops does not translate this part", ws[e.i].text)
	}
	return out, nil
}

type exprParser struct {
	ws []token
	i  int
}

func (e *exprParser) peek() string {
	if e.i < len(e.ws) {
		return strings.ToLower(e.ws[e.i].text)
	}
	return ""
}

func (e *exprParser) next() (token, error) {
	if e.i >= len(e.ws) {
		return token{}, fmt.Errorf("the expression ends early")
	}
	e.i++
	return e.ws[e.i-1], nil
}

func (e *exprParser) expect(text string) error {
	t, err := e.next()
	if err != nil {
		return err
	}
	if strings.ToLower(t.text) != text {
		return fmt.Errorf("want %q, not %q", text, t.text)
	}
	return nil
}

func (e *exprParser) or() (string, error) {
	l, err := e.and()
	for err == nil && e.peek() == "or" {
		e.i++
		var r string
		if r, err = e.and(); err == nil {
			l = "(" + l + ") or (" + r + ")"
		}
	}
	return l, err
}

func (e *exprParser) and() (string, error) {
	l, err := e.not()
	for err == nil && e.peek() == "and" {
		e.i++
		var r string
		if r, err = e.not(); err == nil {
			l = "(" + l + ") and (" + r + ")"
		}
	}
	return l, err
}

func (e *exprParser) not() (string, error) {
	if e.peek() == "not" || e.peek() == "!" {
		e.i++
		x, err := e.not()
		return "not (" + x + ")", err
	}
	return e.compare()
}

func (e *exprParser) compare() (string, error) {
	l, err := e.term()
	if err != nil {
		return "", err
	}
	switch e.peek() {
	case "=", "!=":
		op := e.peek()
		e.i++
		r, err := e.term()
		if err != nil {
			return "", err
		}
		if op == "!=" {
			return "not (" + l + " == " + r + ")", nil
		}
		return l + " == " + r, nil
	case "~=", "~~":
		return "", fmt.Errorf("regular expressions (%s): Kea's expressions have none", e.peek())
	}
	return l, nil
}

// term is one data or boolean value.
func (e *exprParser) term() (string, error) {
	t, err := e.next()
	if err != nil {
		return "", err
	}
	if t.kind == tString || isHexBytes(t.text) {
		return literal(t)
	}
	switch kw := strings.ToLower(t.text); kw {
	case "(":
		x, err := e.or()
		if err != nil {
			return "", err
		}
		return "(" + x + ")", e.expect(")")
	case "option":
		return e.option(".hex")
	case "exists":
		return e.option(".exists")
	case "hardware":
		return "pkt4.mac", nil
	case "known":
		return "member('KNOWN')", nil
	case "substring", "suffix":
		if err := e.expect("("); err != nil {
			return "", err
		}
		x, err := e.or()
		if err != nil {
			return "", err
		}
		if err := e.expect(","); err != nil {
			return "", err
		}
		n1, err := e.num()
		if err != nil {
			return "", err
		}
		if kw == "suffix" {
			return fmt.Sprintf("substring(%s,-%d,'all')", x, n1), e.expect(")")
		}
		if err := e.expect(","); err != nil {
			return "", err
		}
		n2, err := e.num()
		if err != nil {
			return "", err
		}
		if x == "pkt4.mac" {
			// dhcpd's hardware is the type byte, then the address.
			if n1 == 0 {
				return "", fmt.Errorf("substring of hardware from byte 0 includes the hardware type, which Kea's pkt4.mac does not")
			}
			n1--
		}
		return fmt.Sprintf("substring(%s,%d,%d)", x, n1, n2), e.expect(")")
	}
	return "", fmt.Errorf("%q: Kea's expressions have no such term keaops translates", t.text)
}

func (e *exprParser) num() (int64, error) {
	t, err := e.next()
	if err != nil {
		return 0, err
	}
	n, ok := number(t)
	if !ok {
		return 0, fmt.Errorf("want a number, not %q", t.text)
	}
	return n, nil
}

// option is option NAME as Kea's option[CODE] with suffix (.hex, .exists).
func (e *exprParser) option(suffix string) (string, error) {
	t, err := e.next()
	if err != nil {
		return "", err
	}
	name := strings.ToLower(t.text)
	switch name {
	case "agent.circuit-id":
		return "relay4[1]" + suffix, nil
	case "agent.remote-id":
		return "relay4[2]" + suffix, nil
	}
	code, ok := exprCodes[name]
	if !ok {
		return "", fmt.Errorf("option %s: keaops knows no code for it in an expression", t.text)
	}
	return fmt.Sprintf("option[%d]%s", code, suffix), nil
}

// literal is a dhcpd string or hex constant as Kea's: 'text' or 0xHEX.
func literal(t token) (string, error) {
	if t.kind == tString {
		if strings.ContainsAny(t.text, "'\\") || !printable(t.text) {
			return "0x" + hex.EncodeToString([]byte(t.text)), nil
		}
		return "'" + t.text + "'", nil
	}
	if isHexBytes(t.text) {
		var b strings.Builder
		for _, p := range strings.Split(t.text, ":") {
			if len(p) == 1 {
				b.WriteByte('0')
			}
			b.WriteString(strings.ToLower(p))
		}
		return "0x" + b.String(), nil
	}
	return "", fmt.Errorf("%q is not a string or hex constant", t.text)
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
