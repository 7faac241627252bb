"""Which language, French or English, a customer's message is written in.

A small lexical scorer, standard library only: the text is lower-cased, its accents are
stripped for matching and it is split into letter-only tokens (so "j'ai" gives "j", "ai").
Each token found in one of two sets of distinctive words scores a point for its language,
and each token carrying a French accent scores a point for French. Words shared by both
languages ("ok", "non", "super", "bot", "menu"...) are in neither set. The winner needs at
least one point and a clear lead; otherwise the text gives no signal and the answer is None.

The result is the language the text is *written* in: "parle anglais stp" is French even
though it asks for English.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["fr", "en"]

MARGIN = 1.0
"""How far ahead the winning language must be."""

FRENCH_ACCENTS = frozenset("éèêëàâçùûüôîïœ")

FRENCH_WORDS = frozenset(
    """
    le la les un une des du de d l au aux et est c ce cet cette ces ca cela ceci ici je j tu
    il elle nous vous ils elles moi toi lui leur mon ma mes ton ta tes votre vos notre nos
    sa ses y en ne n pas rien jamais que qu qui quoi quel quelle quels quelles ou avec sans
    dans sur sous pour par chez mais donc alors aussi tres trop bien bon bonne vraiment
    encore deja toujours tout tous toute toutes peu suis es etes sommes sont etais ete etre
    avez avons ont avoir fait faire fais faites peux peut pouvez pourrais pourriez pourrait
    veux veut voulez voudrais aimerais vais va vas allez aller allons sais sait savoir
    connais dire dis dit faut comment combien pourquoi quand quelqu chose personne humain
    vrai vraie ia parle parles parlez parler discuter ecrire ecris reponds repondre repondez
    reponse passe passer mets mettre remets changer langue francais anglais anglaise
    francaise bonjour bonsoir salut slt cc coucou bjr bsr wesh bonjoure bonjours salu
    rebonjour salutations merci beaucoup mci mrc mrci mercie merki mille remercie remercier
    gentil sympa aimable stp svp plait oui ouais ouai ouaip ouep oue wi ui mouais nan nn bof
    carrement grave daccord accord dac dacc absolument aucunement exactement effectivement
    evidemment volontiers parfait nickel marche voila jsp tkt mdr ptdr jpp jsuis chui jveux
    jpeux jcrois jpense jvais cv koi kestu pk pq bcp revoir aurevoir orevoir bientot
    prochaine journee soiree nuit semaine demain hier aujourd hui maintenant tard tchao
    adieu bisous bisou biz madame monsieur mademoiselle aide aidez aider besoin demander
    explique expliquer fonctionne marcher sers sert blague raconte meteo temps pleuvoir
    pleut gagne gagner recette devoirs chanson paroles fois capitale heure commande colis
    livraison livre recu avis idee parrainer parrainage ami amie
    """.split()
)

ENGLISH_WORDS = frozenset(
    """
    the an is are am was were be been being i im you your youre yours u ur we our they them
    their he she him her his it its this that thats these those there here what whats how
    hows why when where who whos which can cant could would should will wont shall may might
    must do does did don doesn didn isn aren wasn not no yes yeah yep yup yea nope nah sure
    of to for with and or but in at from about into by if so then than just really very much
    many lot lots all some any one thing way please pls plz thanks thank thx ty tysm tyvm
    thnx tnx thankyou appreciate appreciated cheers hello hi hey helo hiya howdy sup
    greetings bye goodbye goodby farewell cya ttyl gtg later soon good great nice awesome
    perfect fine alright morning afternoon evening night day today tomorrow yesterday now
    again see take care have has had get got going gonna wanna gotta want need like know
    tell say said let lets help my mine speak talk talking answer reply write switch english
    french language anyone someone real person human people computer weather rain joke jokes
    win won game last song recipe homework right correct exactly absolutely definitely
    certainly totally indeed agree never affirmative negative out off up ask use using work
    works able something anything order parcel delivery delivered received review idea
    friend
    """.split()
)


def _collapsed(token: str) -> str:
    """The token without letters repeated for emphasis ("merciii", "hellooo"), if that is a word."""
    for shorter in (re.sub(r"(.)\1{2,}", r"\1\1", token), re.sub(r"(.)\1+", r"\1", token)):
        if shorter in FRENCH_WORDS or shorter in ENGLISH_WORDS:
            return shorter
    return token


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Lower-cased, accent-stripped letter tokens, each with whether it had a French accent."""
    tokens = []
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        accented = any(char in FRENCH_ACCENTS for char in word)
        plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
        tokens.append((_collapsed(plain), accented))
    return tokens


def detect_language(text: str) -> Language | None:
    """The language the text is written in, or None when the text gives no confident signal.

    >>> detect_language("Bonjour"), detect_language("thanks a lot"), detect_language("ok")
    ('fr', 'en', None)
    """
    french = english = 0.0
    for token, accented in _tokens(text):
        french += (token in FRENCH_WORDS) + accented
        english += token in ENGLISH_WORDS
    if max(french, english) < 1 or abs(french - english) < MARGIN:
        return None
    return "fr" if french > english else "en"
