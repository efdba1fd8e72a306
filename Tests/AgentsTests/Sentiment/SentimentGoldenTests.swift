import Testing
@testable import Agents

/// One golden case: text, then compound, pos, neu, neg as `vaderSentiment` 3.3.2 gives them
/// (rounding disabled). For the finance cases the reference was given the built-in lexicon
/// (phrases joined into single tokens) and the finance rules' extra boosters.
typealias Golden = (text: String, compound: Double, pos: Double, neu: Double, neg: Double)

enum GoldenScores {
    static let negation: [Golden] = [
        ("The book was good.", 0.44043357076016854, 0.4915254237288135, 0.5084745762711864, 0.0),
        ("The book was not good.", -0.3412376512543242, 0.0, 0.6244146113019045, 0.3755853886980955),
        ("The book was never good.", -0.3412376512543242, 0.0, 0.6244146113019045, 0.3755853886980955),
        ("The book isn't good.", -0.3412376512543242, 0.0, 0.5549389567147615, 0.4450610432852386),
        ("The book was not very good.", -0.38645643141214686, 0.0, 0.6559252350180117, 0.3440747649819883),
        ("It was not at all bad", 0.43102002306105164, 0.36305732484076436, 0.6369426751592357, 0.0),
        ("No good deed goes unpunished", -0.3412376512543242, 0.0, 0.6244146113019045, 0.3755853886980955),
        ("Nothing about it was great", 0.6248933269389457, 0.5061728395061729, 0.4938271604938272, 0.0),
        ("Sentiment analysis has never been this good!", 0.5671530510378399, 0.37933174718113166, 0.6206682528188683, 0.0),
        ("Without a doubt, excellent idea.", 0.7012865169261457, 0.659477866061294, 0.340522133938706, 0.0),
        ("It is neither good nor bad.", -0.5824304607382508, 0.0, 0.4558404558404559, 0.5441595441595442),
    ]

    static let boosters: [Golden] = [
        ("The food was good.", 0.44043357076016854, 0.4915254237288135, 0.5084745762711864, 0.0),
        ("The food was very good.", 0.4927250317396701, 0.44390379535659674, 0.5560962046434034, 0.0),
        ("The food was extremely good.", 0.4927250317396701, 0.44390379535659674, 0.5560962046434034, 0.0),
        ("The food was kind of good.", 0.38324473176419577, 0.3427106612330748, 0.6572893387669252, 0.0),
        ("The food was barely good.", 0.38324473176419577, 0.39458150446496143, 0.6054184955350386, 0.0),
        ("The food was sort of very good.", 0.4404335707601686, 0.3258426966292135, 0.6741573033707865, 0.0),
        ("The food was VERY good.", 0.6027997661972946, 0.49533181932879133, 0.5046681806712087, 0.0),
        ("She is just enough good for us", 0.38324473176419577, 0.30289299407459047, 0.6971070059254096, 0.0),
    ]

    static let but: [Golden] = [
        ("The plot was good, but the characters are uncompelling.", -0.10273309938750286, 0.17256637168141592, 0.6194690265486725, 0.2079646017699115),
        ("It was bad but the ending was great", 0.6597279468503829, 0.4064748201438849, 0.4316546762589928, 0.1618705035971223),
        ("Good, good, but good.", 0.775026165625604, 0.8857142857142857, 0.11428571428571428, 0.0),
        ("Not great, but not terrible either.", 0.29235141826433225, 0.35144545262713656, 0.4220299641274531, 0.22652458324541044),
    ]

    static let caps: [Golden] = [
        ("The movie is great.", 0.6248933269389457, 0.5774647887323944, 0.4225352112676057, 0.0),
        ("The movie is GREAT.", 0.7034284108342446, 0.6170049789352738, 0.38299502106472616, 0.0),
        ("THE MOVIE IS GREAT.", 0.6248933269389457, 0.5774647887323944, 0.4225352112676057, 0.0),
        ("The movie is GREAT and TERRIBLE.", 0.25, 0.381572714353387, 0.31580609505763463, 0.30262119058897835),
    ]

    static let punctuation: [Golden] = [
        ("The movie is great", 0.6248933269389457, 0.5774647887323944, 0.4225352112676057, 0.0),
        ("The movie is great!", 0.6588499228612155, 0.5941558441558441, 0.4058441558441559, 0.0),
        ("The movie is great!!!", 0.7163257498475377, 0.6238716148445336, 0.3761283851554664, 0.0),
        ("The movie is great!!!!!!!", 0.7405457526688163, 0.637155297532656, 0.36284470246734396, 0.0),
        ("Is the movie great??", 0.6662277891193921, 0.5978552278820375, 0.40214477211796246, 0.0),
        ("Is the movie great????", 0.7235754786302359, 0.6277915632754343, 0.3722084367245658, 0.0),
        ("Is it great?", 0.6248933269389457, 0.6721311475409836, 0.3278688524590164, 0.0),
        ("Awful...", -0.4588314677411235, 0.0, 0.0, 1.0),
    ]

    static let idioms: [Golden] = [
        ("This song is the bomb", 0.6123724356957946, 0.5, 0.5, 0.0),
        ("Well yeah right, that is a kiss of death", -0.17785756046362947, 0.30069930069930073, 0.34965034965034963, 0.34965034965034963),
        ("That cake was to die for", -0.5993731596731062, 0.0, 0.5617977528089887, 0.4382022471910112),
        ("At least it isn't a horrible book.", 0.43102002306105164, 0.3220338983050848, 0.6779661016949153, 0.0),
        ("Roger Dodger is one of the least compelling variations on this theme.", -0.16947302270321746, 0.0, 0.8684667614084952, 0.13153323859150481),
    ]

    static let finance: [Golden] = [
        ("Apple beats estimates", 0.49391458057363097, 0.7619047619047619, 0.23809523809523808, 0.0),
        ("Apple misses estimates", -0.49391458057363097, 0.0, 0.23809523809523808, 0.7619047619047619),
        ("Apple does not beat estimates", -0.38750500963656553, 0.0, 0.5330490405117271, 0.4669509594882729),
        ("Apple reports record revenue", 0.5267415375673765, 0.6296296296296295, 0.37037037037037035, 0.0),
        ("Apple reports record loss", -0.5573704017131537, 0.0, 0.35714285714285715, 0.6428571428571429),
        ("Tesla guidance cut", -0.49391458057363097, 0.0, 0.23809523809523808, 0.7619047619047619),
        ("Tesla cuts guidance, shares plunge sharply", -0.7782533221506259, 0.0, 0.3061224489795918, 0.6938775510204082),
        ("Tesla shares SOAR after earnings!!", 0.7019404184365021, 0.5463309515708291, 0.4536690484291709, 0.0),
        ("Boeing recall widens; FAA probe", -0.7003492917357613, 0.0, 0.3409090909090909, 0.6590909090909091),
        ("Apple beats estimates but guidance cut", -0.49391458057363097, 0.25, 0.23809523809523808, 0.511904761904762),
        ("Lender files for bankruptcy", -0.6704783996548059, 0.0, 0.18181818181818182, 0.8181818181818182),
        ("Retailer in the red again", -0.4214636152117623, 0.0, 0.4166666666666667, 0.5833333333333334),
        ("Shares fall slightly", -0.318210996771242, 0.0, 0.46511627906976744, 0.5348837209302325),
        ("Moody's credit downgrade", -0.49391458057363097, 0.0, 0.23809523809523808, 0.7619047619047619),
        ("Layoffs at Meta as profit warning looms", -0.7506303133284344, 0.0, 0.3846153846153846, 0.6153846153846154),
        ("Analysts upgrade Nvidia to buy", 0.4588314677411235, 0.42857142857142855, 0.5714285714285714, 0.0),
        ("Not a bad quarter", 0.325224313573055, 0.4373593398349587, 0.5626406601650413, 0.0),
        ("Microsoft announces share buyback", 0.401923825269382, 0.574468085106383, 0.425531914893617, 0.0),
    ]
}

func expectScore(_ scorer: SentimentScorer, _ g: Golden, sourceLocation: SourceLocation = #_sourceLocation) {
    let s = scorer.score(g.text)
    #expect(abs(s.compound - g.compound) < 1e-12, "compound of \"\(g.text)\": \(s.compound) vs \(g.compound)", sourceLocation: sourceLocation)
    #expect(abs(s.positive - g.pos) < 1e-12, "pos of \"\(g.text)\"", sourceLocation: sourceLocation)
    #expect(abs(s.neutral - g.neu) < 1e-12, "neu of \"\(g.text)\"", sourceLocation: sourceLocation)
    #expect(abs(s.negative - g.neg) < 1e-12, "neg of \"\(g.text)\"", sourceLocation: sourceLocation)
}

/// Golden scores, with VADER's lexicon (against the reference implementation) and with the
/// built-in finance lexicon.
@Suite struct SentimentGoldenTests {
    @Test(arguments: GoldenScores.negation) func negation(_ g: Golden) { expectScore(Fixtures.vader, g) }
    @Test(arguments: GoldenScores.boosters) func boostersAndDampeners(_ g: Golden) { expectScore(Fixtures.vader, g) }
    @Test(arguments: GoldenScores.but) func contrastAfterBut(_ g: Golden) { expectScore(Fixtures.vader, g) }
    @Test(arguments: GoldenScores.caps) func capitals(_ g: Golden) { expectScore(Fixtures.vader, g) }
    @Test(arguments: GoldenScores.punctuation) func punctuation(_ g: Golden) { expectScore(Fixtures.vader, g) }
    @Test(arguments: GoldenScores.idioms) func idiomsAndLeast(_ g: Golden) { expectScore(Fixtures.vader, g) }
    @Test(arguments: GoldenScores.finance) func builtinFinanceLexicon(_ g: Golden) { expectScore(.finance, g) }
}
