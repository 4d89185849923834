// Package pdf prints a campaign's bundle: the pages an organizer prints on
// an office printer, puts into envelopes and posts to a prison.
//
// It depends on nothing else in solidarity: the caller fills a Bundle —
// the cover letter, the recipient, and the signatures and greetings as
// sequences it reads from its database — and Render writes the result to
// an io.Writer. Texts.PrintedName and Printable serve the sign form and
// moderation, which decide what a bundle will contain.
//
// # What is printed
//
// A bundle is a run of pages: the cover letter (the recipient's address,
// the date, the letter, the organizer and "signed by 12,384 people from 47
// countries"), then numbered signature rows (number, name, city, country;
// 10 pt, 55 to an A4 page), then the greetings as cards. The cards flow
// down full pages (LayoutList) or are printed four to a sheet with cut lines
// (LayoutPostcards); a card never breaks across pages, unless one greeting
// alone is longer than a page or, at 7 pt, a postcard: then it continues
// on the next, marked "1/2", "2/2". Every page has a header with the
// campaign's title and a footer "Letter 3 of 12 · page 2 of 10", so the
// recipient and the censor notice a missing page or envelope; each
// postcard carries its own.
//
// The pages are cut into envelopes (Envelope) of at most Bundle.MaxSheets
// pages; an envelope never starts with the rest of a card. Each envelope
// has a DL envelope page (220 × 110 mm) with the recipient's and the
// return address and the envelope's number, but not the campaign's title:
// the outside of an envelope to a prison should say no more than it must.
// What the code calls an envelope, the printed texts and the file names
// call a letter, as the recipient reads it: "Letter 3 of 12",
// letter-03.pdf. (The cover letter, Bundle.Letter, is the campaign's text.)
//
// # One archive with a PDF per envelope
//
// Render writes a ZIP archive:
//
//	letter-01.pdf … letter-12.pdf   one per envelope, A4 or US Letter
//	envelopes.pdf                   one DL page per envelope
//	manifest.csv                    per envelope: pages, first and last
//	                                signature number, greetings, SHA-256
//
// rather than one PDF of the whole bundle, for two reasons. It is how the
// bundle is used: each file is printed and goes into its own envelope, and
// the envelopes are fed through the printer separately. And it bounds
// memory: fpdf holds a whole document in memory until it is written
// (about 200 MB for 100,000 rows in one document), whereas envelopes are
// drawn one at a time per CPU and written out as soon as they are done, so
// memory stays at a few tens of megabytes whatever the size of the bundle.
// The price is a fixed cost per document (fpdf parses and subsets the fonts
// for each one), some 20 ms of CPU an envelope; envelopes are drawn in
// parallel.
//
// # Two passes, one read of the signatures
//
// "page 2 of 10" and "letter 3 of 12" must be printed before the end of
// the bundle is known, so Render lays out every page before it draws any.
// Signature rows have a fixed height, so their pages follow from
// Bundle.SignatureRows alone and the rows are read once, as they are
// drawn. Greeting cards differ in height and are measured with the fonts'
// metrics in a first pass over Bundle.Greetings; the second pass draws them.
// Nothing but the page plan (a few numbers per page and card) is kept
// between the passes, so 100,000 signatures and 10,000 greetings take the
// same memory as 1,000.
//
// # Blank signature sheets
//
// RenderSheet prints blank A4 sheets for street stands and meetings (see
// Sheet): the campaign's title and summary, a QR code to its page drawn as
// vector rectangles, SheetLines numbered lines whose numbers go on from
// sheet to sheet, a notice on what is stored and printed, and a footer with
// the sheet's number and the campaign's address.
//
// # Text
//
// DejaVu Sans (regular and bold) and DejaVu Serif are embedded, with their
// licence in fonts/LICENSE. They cover Latin, Cyrillic, Greek, Armenian and
// Georgian; Hebrew is in Sans only, and right-to-left text is put into
// visual order with a reduced Unicode Bidirectional Algorithm. fpdf draws
// one glyph per character, so scripts whose letters join or combine
// (Arabic, the Indic scripts) cannot be printed correctly: Printable flags
// them for moderation, and Render prints a note in their place rather than
// garbled text. Characters the fonts lack (emoji, rare symbols) print as
// "□". Words wider than a line are broken inside the word. No text, however
// long or strange, fails a bundle.
//
// The fixed texts (footers, column heads, the cover's totals, dates) come
// translated in Bundle.Texts, in a language the censor reads: pdf prints
// them and knows no language of its own.
//
// The same Bundle gives the same bytes: the files' dates come from
// Bundle.Date, and nothing random goes into them.
package pdf
