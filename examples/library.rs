//! ElectroDB's "library" example (authors, books, genres, members: four entities, three
//! indexes, four collections), written with dynamo-core; every access pattern of its
//! `query.ts` runs against the emulator and checks what it read.
//!
//! `DYNAMODB_ENDPOINT=http://localhost:8000 cargo run -p dynamo-examples --example library`
//!
//! | entity | `pk` / `sk` | GSI1 (loans, account) | GSI2 (works) | GSI3 (titles) |
//! |---|---|---|---|---|
//! | author | `AUTHOR#{last}` / `AUTHOR#{first}#{birthday}` | | `AUTHOR#{last}#{first}` / `AUTHOR` | |
//! | book (a copy) | `ISBN#{isbn}` / `BOOK#{book_id}` | `MEMBER#{member_id}` / `LOAN#{loan_end_date}`, while on loan | `AUTHOR#{last}#{first}` / `BOOK#{loan_end_date}` | `TITLE#{title}` / `BOOK#{release_date}` |
//! | genre | `ISBN#{isbn}` / `GENRE#{genre}#{subgenre}` | `GENRE#{genre}` / `SUBGENRE#{subgenre}#{isbn}` | `AUTHOR#{last}#{first}` / `GENRE#..` | `TITLE#{title}` / `GENRE#..` |
//! | member | `MEMBER#{member_id}` / `MEMBER` | `MEMBER#{member_id}` / `MEMBER` | | |
//!
//! As in ElectroDB, keys are lower-cased (`key_case = "lower"`): "Le Guin" and "le guin" find
//! the same author. A copy's `loan_end_date` is a date, or `AVAILABLE`, which sorts after every
//! date.

use dynamo_core::keys::TimePrefix;
use dynamo_core::{DynamoCollection, DynamoEntity, DynamoValue, IndexDef, KeyDef, Table, TableDef};
use std::collections::BTreeSet;
use time::OffsetDateTime;
use time::macros::datetime;

const GSI1: &str = "gsi1pk-gsi1sk-index";
const GSI2: &str = "gsi2pk-gsi2sk-index";
const GSI3: &str = "gsi3pk-gsi3sk-index";

const LIBRARY: TableDef = TableDef::new("example-library", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_indexes(&[
        IndexDef::global(
            GSI1,
            KeyDef::string("gsi1pk"),
            Some(KeyDef::string("gsi1sk")),
        ),
        IndexDef::global(
            GSI2,
            KeyDef::string("gsi2pk"),
            Some(KeyDef::string("gsi2sk")),
        ),
        IndexDef::global(
            GSI3,
            KeyDef::string("gsi3pk"),
            Some(KeyDef::string("gsi3sk")),
        ),
    ])
    .with_entity_attribute("entity");

/// What `loan_end_date` holds while a copy is on the shelf.
const AVAILABLE: &str = "AVAILABLE";

/// The day the example runs on, so that "overdue" means the same on every run.
const TODAY: &str = "2026-12-03";

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = LIBRARY,
    entity = "author",
    key_case = "lower",
    pk = "AUTHOR#{author_last_name}",
    sk = "AUTHOR#{author_first_name}#{birthday}",
    gsi("gsi2pk-gsi2sk-index", alias = Works, pk = "AUTHOR#{author_last_name}#{author_first_name}", sk = "AUTHOR")
)]
struct Author {
    author_last_name: String,
    author_first_name: String,
    birthday: String,
    bio: String,
    genres: BTreeSet<String>,
}

/// A copy of a book. Books are denormalized: every copy carries the book's details.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = LIBRARY,
    entity = "book",
    key_case = "lower",
    pk = "ISBN#{isbn}",
    sk = "BOOK#{book_id}",
    gsi("gsi1pk-gsi1sk-index", alias = Loans, pk = "MEMBER#{member_id}", sk = "LOAN#{loan_end_date}"),
    gsi("gsi2pk-gsi2sk-index", alias = Works, pk = "AUTHOR#{author_last_name}#{author_first_name}", sk = "BOOK#{loan_end_date}"),
    gsi("gsi3pk-gsi3sk-index", alias = Editions, pk = "TITLE#{book_title}", sk = "BOOK#{release_date}")
)]
struct Book {
    isbn: String,
    book_id: String,
    book_title: String,
    description: String,
    publisher: String,
    release_date: OffsetDateTime,
    author_first_name: String,
    author_last_name: String,
    loan_start_date: Option<String>,
    loan_end_date: String,
    /// The member it is lent to: only then is the copy in GSI1.
    member_id: Option<String>,
}

/// A book's genre and subgenre.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = LIBRARY,
    entity = "genre",
    key_case = "lower",
    pk = "ISBN#{isbn}",
    sk = "GENRE#{genre}#{subgenre}",
    gsi("gsi1pk-gsi1sk-index", alias = Categories, pk = "GENRE#{genre}", sk = "SUBGENRE#{subgenre}#{isbn}"),
    gsi("gsi2pk-gsi2sk-index", alias = Works, pk = "AUTHOR#{author_last_name}#{author_first_name}", sk = "GENRE#{genre}#{subgenre}"),
    gsi("gsi3pk-gsi3sk-index", alias = Titles, pk = "TITLE#{book_title}", sk = "GENRE#{genre}#{subgenre}")
)]
struct Genre {
    isbn: String,
    genre: String,
    subgenre: String,
    book_id: String,
    book_title: String,
    author_first_name: String,
    author_last_name: String,
}

#[derive(DynamoValue, Debug, Clone, PartialEq)]
struct Address {
    street_address: String,
    city: String,
    state: String,
    zip: String,
}

/// A library card holder. GSI1 holds the member next to its loans (ElectroDB's `account`).
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(
    table = LIBRARY,
    entity = "member",
    key_case = "lower",
    pk = "MEMBER#{member_id}",
    sk = "MEMBER",
    gsi("gsi1pk-gsi1sk-index", alias = Account, pk = "MEMBER#{member_id}", sk = "MEMBER")
)]
struct Member {
    member_id: String,
    membership_start_date: String,
    membership_end_date: String,
    address: Address,
}

/// A book and its genres, by ISBN: the table partition.
#[derive(DynamoCollection, Debug)]
enum Detail {
    Book(Book),
    Genre(Genre),
}

/// A member and the copies lent to them, on GSI1.
#[derive(DynamoCollection, Debug)]
#[dynamo(index = "gsi1pk-gsi1sk-index")]
enum Account {
    Member(Member),
    Book(Book),
}

/// An author, their books' copies and their genres, on GSI2.
#[derive(DynamoCollection, Debug)]
#[dynamo(index = "gsi2pk-gsi2sk-index")]
enum Works {
    Author(Author),
    Book(Book),
    Genre(Genre),
}

/// A title's copies and genres, on GSI3.
#[derive(DynamoCollection, Debug)]
#[dynamo(index = "gsi3pk-gsi3sk-index")]
enum Titles {
    Book(Book),
    Genre(Genre),
}

struct Library {
    authors: Table<Author>,
    books: Table<Book>,
    genres: Table<Genre>,
    members: Table<Member>,
}

type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

fn author(last: &str, first: &str, birthday: &str, genres: &[&str]) -> Author {
    Author {
        author_last_name: last.into(),
        author_first_name: first.into(),
        birthday: birthday.into(),
        bio: format!("{first} {last}, born {birthday}"),
        genres: genres.iter().map(|g| (*g).to_owned()).collect(),
    }
}

struct Title<'a> {
    isbn: &'a str,
    title: &'a str,
    author: (&'a str, &'a str),
    released: OffsetDateTime,
    genre: (&'a str, &'a str),
    copies: &'a [&'a str],
}

const TITLES: &[Title<'static>] = &[
    Title {
        isbn: "978-0-441-47812-5",
        title: "The Left Hand of Darkness",
        author: ("Le Guin", "Ursula"),
        released: datetime!(1969-03-01 0:00 UTC),
        genre: ("science fiction", "anthropological"),
        copies: &["lhd-1", "lhd-2", "lhd-3"],
    },
    Title {
        isbn: "978-0-06-051275-4",
        title: "The Dispossessed",
        author: ("Le Guin", "Ursula"),
        released: datetime!(1974-05-01 0:00 UTC),
        genre: ("science fiction", "utopian"),
        copies: &["dis-1"],
    },
    Title {
        isbn: "978-0-316-00538-8",
        title: "Consider Phlebas",
        author: ("Banks", "Iain"),
        released: datetime!(1987-04-23 0:00 UTC),
        genre: ("science fiction", "space opera"),
        copies: &["phl-1", "phl-2"],
    },
    Title {
        isbn: "978-0-316-00539-5",
        title: "The Player of Games",
        author: ("Banks", "Iain"),
        released: datetime!(1988-08-25 0:00 UTC),
        genre: ("science fiction", "space opera"),
        copies: &["pog-1"],
    },
];

/// Writes the catalogue: every copy on the shelf.
async fn load(library: &Library) -> Result<()> {
    for a in [
        author(
            "Le Guin",
            "Ursula",
            "1929-10-21",
            &["science fiction", "fantasy"],
        ),
        author("Banks", "Iain", "1954-02-16", &["science fiction"]),
        author("Banks", "Russell", "1940-03-28", &["literary fiction"]),
    ] {
        library.authors.put(a).send().await?;
    }
    for t in TITLES {
        for copy in t.copies {
            library
                .books
                .put(Book {
                    isbn: t.isbn.into(),
                    book_id: (*copy).into(),
                    book_title: t.title.into(),
                    description: format!("{} by {} {}", t.title, t.author.1, t.author.0),
                    publisher: "Ace".into(),
                    release_date: t.released,
                    author_first_name: t.author.1.into(),
                    author_last_name: t.author.0.into(),
                    loan_start_date: None,
                    loan_end_date: AVAILABLE.into(),
                    member_id: None,
                })
                .send()
                .await?;
        }
        library
            .genres
            .put(Genre {
                isbn: t.isbn.into(),
                genre: t.genre.0.into(),
                subgenre: t.genre.1.into(),
                book_id: t.copies[0].into(),
                book_title: t.title.into(),
                author_first_name: t.author.1.into(),
                author_last_name: t.author.0.into(),
            })
            .send()
            .await?;
    }
    library
        .members
        .put(Member {
            member_id: "m-0001".into(),
            membership_start_date: "2024-01-10".into(),
            membership_end_date: "2027-01-10".into(),
            address: Address {
                street_address: "1 Main St".into(),
                city: "Springfield".into(),
                state: "OR".into(),
                zip: "97477".into(),
            },
        })
        .send()
        .await?;
    Ok(())
}

/// Lends a copy: the member, the due date and the keys of both indexes it sorts by (GSI1 by
/// member and due date, GSI2 by author and due date) in one update. `loan_end_date` is part of
/// both; each index's keys struct asks for every field its keys are made of.
async fn lend(
    library: &Library,
    book: &Book,
    member_id: &str,
    start: &str,
    end: &str,
) -> Result<()> {
    let f = Book::fields();
    library
        .books
        .update(BookKey::new(book.isbn.as_str(), book.book_id.as_str()))
        .set(f.loan_start_date, Some(start.to_owned()))
        .set_index_keys(BookLoansKeys {
            member_id: Some(member_id.to_owned()),
            loan_end_date: end.to_owned(),
        })
        .set_index_keys(BookWorksKeys {
            author_first_name: book.author_first_name.clone(),
            author_last_name: book.author_last_name.clone(),
            loan_end_date: end.to_owned(),
        })
        .condition(f.member_id.not_exists())
        .send()
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let client = dynamo_core::client_from_env().await?;
    dynamo_core::schema::ensure_table(&client, &LIBRARY, LIBRARY.name).await?;
    let library = Library {
        authors: Table::new(&client),
        books: Table::new(&client),
        genres: Table::new(&client),
        members: Table::new(&client),
    };
    load(&library).await?;

    // Member m-0001 borrows a copy of each Banks book and one Le Guin, overdue since November.
    let copies = library
        .books
        .query(BookWorksPartition::new("Banks", "Iain"))
        .all()
        .await?;
    let phlebas = copies
        .iter()
        .find(|b| b.book_id == "phl-1")
        .ok_or("phl-1")?;
    lend(&library, phlebas, "m-0001", "2026-11-25", "2026-12-20").await?;
    let left_hand = library
        .books
        .get(BookKey::new("978-0-441-47812-5", "lhd-1"))
        .send()
        .await?
        .ok_or("lhd-1")?;
    lend(&library, &left_hand, "m-0001", "2026-11-01", "2026-11-22").await?;

    // 1. Copies of an author's books (GSI2), and 2. the books themselves (one per ISBN).
    let le_guin = library
        .books
        .query(BookWorksPartition::new("Le Guin", "Ursula"))
        .all()
        .await?;
    assert_eq!(le_guin.len(), 4, "copies by Ursula Le Guin");
    let titles: BTreeSet<&str> = le_guin.iter().map(|b| b.book_title.as_str()).collect();
    assert_eq!(titles.len(), 2, "books by Ursula Le Guin");

    // 3. Authors by last name and the start of a first name; keys are lower-cased, so the
    // case of what is typed does not matter.
    let banks_i = library
        .authors
        .query(AuthorPartition::new("BANKS"))
        .sk_begins_with(AuthorSortKey::author_first_name_starting("i"))
        .all()
        .await?;
    assert_eq!(banks_i.len(), 1);
    assert_eq!(
        banks_i[0].author_first_name, "Iain",
        "fields keep their case"
    );

    // 4. Authors by full name.
    let iain = library
        .authors
        .query(AuthorPartition::new("Banks"))
        .sk_begins_with(AuthorSortKey::author_first_name("Iain"))
        .all()
        .await?;
    assert_eq!(iain.len(), 1);

    // 5. An author's body of work: the author, their copies and their genres in one query of
    // GSI2 (ElectroDB's `works` collection).
    let (mut writers, mut copies, mut subgenres) = (Vec::new(), BTreeSet::new(), BTreeSet::new());
    for item in library
        .authors
        .query(AuthorWorksPartition::new("Le Guin", "Ursula"))
        .collection::<Works>()
        .all()
        .await?
    {
        match item {
            Works::Author(a) => writers.push(a.author_first_name),
            Works::Book(b) => {
                copies.insert(b.book_id);
            }
            Works::Genre(g) => {
                subgenres.insert(g.subgenre);
            }
        }
    }
    assert_eq!(writers, ["Ursula"]);
    assert_eq!(copies.len(), 4);
    assert_eq!(
        subgenres,
        BTreeSet::from(["anthropological".to_owned(), "utopian".to_owned()])
    );

    // 6. Copies of a book by ISBN: the table partition, this entity's items only.
    let by_isbn = library
        .books
        .query(BookPartition::new("978-0-441-47812-5"))
        .all()
        .await?;
    assert_eq!(by_isbn.len(), 3);

    // 7. Books on loan to a member, 8. the overdue ones, 9. how many (GSI1, sparse: copies on
    // the shelf are not in it).
    let on_loan = library
        .books
        .query(BookLoansPartition::new("m-0001"))
        .all()
        .await?;
    assert_eq!(on_loan.len(), 2);
    let overdue = library
        .books
        .query(BookLoansPartition::new("m-0001"))
        .sk_lt(BookLoansSortKey::new(TODAY))
        .all()
        .await?;
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].book_id, "lhd-1");
    let checked_out = library
        .books
        .query(BookLoansPartition::new("m-0001"))
        .count()
        .await?;
    assert_eq!(checked_out, 2);

    // 10. A member and their loans in one query of GSI1 (ElectroDB's `account`).
    let account = library
        .members
        .query(MemberAccountPartition::new("m-0001"))
        .collection::<Account>()
        .all()
        .await?;
    let (mut city, mut loans) = (None, BTreeSet::new());
    for item in account {
        match item {
            Account::Member(m) => city = Some(m.address.city),
            Account::Book(b) => {
                loans.insert(b.book_id);
            }
        }
    }
    assert_eq!(city.as_deref(), Some("Springfield"));
    assert_eq!(
        loans,
        BTreeSet::from(["lhd-1".to_owned(), "phl-1".to_owned()])
    );

    // 11. Copies of a book on the shelf: the author's copies due AVAILABLE, filtered to the
    // ISBN; 12. those lent out: due before AVAILABLE (dates sort first).
    let b = Book::fields();
    let available = library
        .books
        .query(BookWorksPartition::new("Le Guin", "Ursula"))
        .sk_eq(BookWorksSortKey::new(AVAILABLE))
        .filter(b.isbn.eq("978-0-441-47812-5"))
        .all()
        .await?;
    assert_eq!(available.len(), 2);
    let lent = library
        .books
        .query(BookWorksPartition::new("Le Guin", "Ursula"))
        .sk_lt(BookWorksSortKey::new(AVAILABLE))
        .filter(b.isbn.eq("978-0-441-47812-5"))
        .all()
        .await?;
    assert_eq!(lent.len(), 1);

    // 13. Copies by title (GSI3), 14. editions released within a span: by year, and from a
    // year on.
    let by_title = library
        .books
        .query(BookEditionsPartition::new("The Left Hand of Darkness"))
        .all()
        .await?;
    assert_eq!(by_title.len(), 3);
    let sixties = library
        .books
        .query(BookEditionsPartition::new("The Left Hand of Darkness"))
        .sk_between(
            BookEditionsSortKey::release_date_within(TimePrefix::year(
                datetime!(1960-01-01 0:00 UTC),
            )),
            BookEditionsSortKey::release_date_within(TimePrefix::year(
                datetime!(1969-01-01 0:00 UTC),
            )),
        )
        .all()
        .await?;
    assert_eq!(sixties.len(), 3);
    let since_1970 = library
        .books
        .query(BookEditionsPartition::new("The Left Hand of Darkness"))
        .sk_ge(BookEditionsSortKey::release_date_within(TimePrefix::year(
            datetime!(1970-01-01 0:00 UTC),
        )))
        .count()
        .await?;
    assert_eq!(since_1970, 0);

    // 15. A book and its genres: by ISBN (the table partition, ElectroDB's `detail`) or by
    // title (GSI3, `titles`).
    let detail = library
        .books
        .query(BookPartition::new("978-0-316-00538-8"))
        .collection::<Detail>()
        .all()
        .await?;
    let split = |items: Vec<(Option<Book>, Option<Genre>)>| {
        let books: BTreeSet<String> = items
            .iter()
            .filter_map(|(b, _)| Some(b.as_ref()?.book_id.clone()))
            .collect();
        let genres: Vec<String> = items
            .iter()
            .filter_map(|(_, g)| Some(g.as_ref()?.subgenre.clone()))
            .collect();
        (books, genres)
    };
    let (detail_copies, detail_genres) = split(
        detail
            .into_iter()
            .map(|i| match i {
                Detail::Book(b) => (Some(b), None),
                Detail::Genre(g) => (None, Some(g)),
            })
            .collect(),
    );
    assert_eq!(
        detail_copies,
        BTreeSet::from(["phl-1".to_owned(), "phl-2".to_owned()])
    );
    assert_eq!(detail_genres, ["space opera"]);
    let titled = library
        .genres
        .query(GenreTitlesPartition::new("Consider Phlebas"))
        .collection::<Titles>()
        .all()
        .await?;
    let (titled_copies, titled_genres) = split(
        titled
            .into_iter()
            .map(|i| match i {
                Titles::Book(b) => (Some(b), None),
                Titles::Genre(g) => (None, Some(g)),
            })
            .collect(),
    );
    assert_eq!(titled_copies, detail_copies);
    assert_eq!(titled_genres, detail_genres);

    // 16. Copies within a genre and subgenre: the genre's titles (GSI1), then each title's
    // copies (GSI3).
    let space_opera = library
        .genres
        .query(GenreCategoriesPartition::new("science fiction"))
        .sk_begins_with(GenreCategoriesSortKey::subgenre("space opera"))
        .all()
        .await?;
    let mut copies_in_genre = 0;
    for title in BTreeSet::from_iter(space_opera.iter().map(|g| g.book_title.as_str())) {
        copies_in_genre += library
            .books
            .query(BookEditionsPartition::new(title))
            .count()
            .await?;
    }
    assert_eq!(copies_in_genre, 3);

    // 17. An author's books within a genre: the genres (GSI2, this entity's items only), then
    // one batch get of a copy of each.
    let banks_sf = library
        .genres
        .query(GenreWorksPartition::new("Banks", "Iain"))
        .sk_begins_with(GenreWorksSortKey::genre("science fiction"))
        .all()
        .await?;
    let keys = banks_sf
        .iter()
        .map(|g| BookKey::new(g.isbn.as_str(), g.book_id.as_str()));
    let fetched = library.books.batch_get(keys).send().await?;
    assert_eq!(fetched.items.len(), 2);

    // Returned: out of GSI1 (sparse), back to AVAILABLE on GSI2, in one update.
    let f = Book::fields();
    library
        .books
        .update(BookKey::new("978-0-441-47812-5", "lhd-1"))
        .set(f.loan_start_date, None)
        .set_index_keys(BookLoansKeys {
            member_id: None,
            loan_end_date: AVAILABLE.into(),
        })
        .set_index_keys(BookWorksKeys {
            author_first_name: "Ursula".into(),
            author_last_name: "Le Guin".into(),
            loan_end_date: AVAILABLE.into(),
        })
        .send()
        .await?;
    let on_loan = library
        .books
        .query(BookLoansPartition::new("m-0001"))
        .count()
        .await?;
    assert_eq!(on_loan, 1);

    println!(
        "library: 17 access patterns checked ({} copies of Ursula Le Guin, {} on loan to m-0001)",
        le_guin.len(),
        on_loan
    );
    Ok(())
}
