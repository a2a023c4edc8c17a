#!/usr/bin/env python3
"""Writes prompts.tsv: French sentences a home vocal assistant hears, one per line as
`domain<TAB>sentence`, numbers written out in words.

Each domain has hand-written templates and fillers (French cities with the right preposition,
days, durations, artists, places); a seeded draw picks combinations until the domain has its
quota of distinct sentences. Run it again to get the same file.
Usage: python3 prompts/assistant-maison/make_prompts.py
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(1792)

CITIES = [
    ("Lyon", "à Lyon"), ("Marseille", "à Marseille"), ("Lille", "à Lille"), ("Bordeaux", "à Bordeaux"),
    ("Toulouse", "à Toulouse"), ("Nantes", "à Nantes"), ("Strasbourg", "à Strasbourg"), ("Rennes", "à Rennes"),
    ("Montpellier", "à Montpellier"), ("Nice", "à Nice"), ("Brest", "à Brest"), ("Grenoble", "à Grenoble"),
    ("Dijon", "à Dijon"), ("Clermont-Ferrand", "à Clermont-Ferrand"), ("Perpignan", "à Perpignan"),
    ("Ajaccio", "à Ajaccio"), ("Le Havre", "au Havre"), ("Le Mans", "au Mans"), ("Aix-en-Provence", "à Aix-en-Provence"),
    ("Saint-Étienne", "à Saint-Étienne"), ("Limoges", "à Limoges"), ("Metz", "à Metz"), ("Reims", "à Reims"),
    ("Rouen", "à Rouen"), ("Caen", "à Caen"), ("Besançon", "à Besançon"), ("Pau", "à Pau"), ("Bayonne", "à Bayonne"),
    ("Quimper", "à Quimper"), ("Annecy", "à Annecy"), ("Bruxelles", "à Bruxelles"), ("Genève", "à Genève"),
    ("Lausanne", "à Lausanne"), ("Montréal", "à Montréal"), ("Dakar", "à Dakar"), ("Abidjan", "à Abidjan"),
    ("Liège", "à Liège"), ("Namur", "à Namur"), ("Québec", "à Québec"), ("Pointe-à-Pitre", "à Pointe-à-Pitre"),
    ("Fort-de-France", "à Fort-de-France"), ("Saint-Denis", "à Saint-Denis"), ("Chamonix", "à Chamonix"),
    ("Biarritz", "à Biarritz"), ("Avignon", "à Avignon"), ("Colmar", "à Colmar"), ("Tours", "à Tours"),
    ("Orléans", "à Orléans"), ("Angers", "à Angers"), ("La Rochelle", "à La Rochelle"),
]
REGIONS = ["en Bretagne", "en Normandie", "en Alsace", "en Provence", "en Corse", "dans les Alpes", "dans les Pyrénées",
           "en Auvergne", "dans le Jura", "sur la Côte d'Azur", "en Savoie", "dans le Périgord", "en Vendée",
           "en Wallonie", "en Occitanie", "dans le Vercors"]
WHEN = ["demain", "ce soir", "ce week-end", "lundi matin", "après-demain", "samedi après-midi", "dimanche",
        "cette nuit", "mercredi", "demain matin", "vendredi soir", "la semaine prochaine"]
ROOMS = ["la cuisine", "le salon", "la chambre", "la salle de bain", "le bureau", "l'entrée", "le garage",
         "la chambre des enfants", "la salle à manger", "le couloir", "la terrasse", "le jardin", "la buanderie"]
MINUTES = ["cinq minutes", "dix minutes", "douze minutes", "quinze minutes", "vingt minutes", "vingt-cinq minutes",
           "trente minutes", "quarante-cinq minutes", "une heure", "une heure et demie", "trois minutes", "huit minutes"]
HOURS = ["six heures", "six heures et demie", "sept heures", "sept heures et quart", "sept heures quarante-cinq",
         "huit heures", "huit heures moins le quart", "neuf heures", "midi", "treize heures trente", "quinze heures",
         "dix-sept heures", "dix-huit heures quinze", "vingt heures", "vingt et une heures", "vingt-deux heures trente",
         "minuit", "cinq heures du matin"]
DEGREES = ["dix-huit", "dix-neuf", "vingt", "vingt et un", "vingt-deux", "dix-sept", "seize"]
PEOPLE = ["Chloé", "Mathis", "Fatou", "Léa", "Karim", "Inès", "Hugo", "Camille", "Youssef", "Manon", "Théo", "Aïcha",
          "Lucas", "Jade", "Mamadou", "Zoé", "Nathan", "Louise", "Rayan", "Clémence", "maman", "papa", "mamie",
          "mon frère", "ma sœur", "le plombier", "la pharmacie", "le cabinet médical", "mon patron", "la nounou"]
ARTISTS = ["Stromae", "Angèle", "Jacques Brel", "Édith Piaf", "Aya Nakamura", "Céline Dion", "Zaz", "Christine and the Queens",
           "Youssou N'Dour", "Serge Gainsbourg", "Vianney", "Clara Luciani", "Indochine", "Orelsan", "Barbara",
           "Charles Aznavour", "Georges Brassens", "Salif Keita", "Juliette Armanet", "Pomme", "Francis Cabrel",
           "Daft Punk", "Jean-Jacques Goldman", "Fatoumata Diawara", "Mylène Farmer"]
GENRES = ["du jazz", "de la musique classique", "du rap français", "de la chanson française", "du reggae",
          "de la musique pour dormir", "du rock des années quatre-vingt", "de la musique africaine", "de l'électro",
          "des comptines pour enfants", "du zouk", "de la musique pour travailler"]
RADIOS = ["France Inter", "France Culture", "France Musique", "Radio Nova", "Nostalgie", "Radio Classique", "la radio locale",
          "France Bleu", "la Première", "Radio Canada", "Mouv", "Rire et Chansons"]
PLACES = ["la gare", "l'aéroport", "la mairie", "la piscine municipale", "le centre commercial", "l'hôpital le plus proche",
          "la boulangerie la plus proche", "le stade", "la médiathèque", "la plage", "le marché couvert", "la préfecture",
          "la station de métro la plus proche", "le cinéma", "la pharmacie de garde"]
ITEMS = ["du lait", "des œufs", "du pain", "des pommes", "du café", "des pâtes", "du riz", "des tomates", "du beurre",
         "de la farine", "des yaourts", "du fromage râpé", "de la lessive", "du papier toilette", "des bananes",
         "de l'huile d'olive", "des lentilles", "du chocolat noir", "des couches", "de la moutarde", "des citrons",
         "des carottes", "du jambon", "des croquettes pour le chat"]
EVENTS = ["un rendez-vous chez le dentiste", "une réunion avec l'équipe", "le repas de famille", "le cours de piano",
          "l'anniversaire de Léa", "un appel avec la banque", "la réunion de parents d'élèves", "le match de foot",
          "le contrôle technique", "une séance de kiné", "le dîner chez les voisins", "la visite de l'appartement"]
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "demain", "après-demain"]
PERSONALITIES = ["Victor Hugo", "Marie Curie", "Molière", "Simone Veil", "Léopold Sédar Senghor", "Napoléon",
                 "Jeanne d'Arc", "Albert Camus", "Coco Chanel", "Louis Pasteur", "Aimé Césaire", "Jules Verne",
                 "Joséphine Baker", "Gustave Eiffel", "Marguerite Yourcenar", "Jean Moulin", "George Sand",
                 "Claude Monet", "Olympe de Gouges", "Antoine de Saint-Exupéry"]
LANDMARKS = ["la tour Eiffel", "le Mont-Saint-Michel", "le pont du Gard", "la cathédrale de Chartres", "le château de Versailles",
             "la dune du Pilat", "le viaduc de Millau", "l'Atomium", "le château Frontenac", "les gorges du Verdon",
             "le lac Léman", "la Grande Arche", "le cirque de Gavarnie", "la basilique de Fourvière"]

DOMAINS = {
    "weather": (50, [
        lambda: f"Quel temps fera-t-il {w()} {c()} ?",
        lambda: f"Est-ce qu'il va pleuvoir {w()} {c()} ?",
        lambda: f"Quelle température fait-il en ce moment {c()} ?",
        lambda: f"Faut-il prendre un parapluie {w()} ?",
        lambda: f"Y aura-t-il du vent {w()} {rng.choice(REGIONS)} ?",
        lambda: f"Est-ce qu'il va neiger {w()} {rng.choice(REGIONS)} ?",
        lambda: f"Donne-moi la météo {c()} pour {w()}.",
        lambda: f"À quelle heure le soleil se couche-t-il {c()} ?",
        lambda: f"Il fera combien de degrés {w()} {c()} ?",
        lambda: f"Est-ce que je peux étendre le linge dehors {w()} ?",
    ]),
    "home_automation": (55, [
        lambda: f"Allume la lumière de {r()}.",
        lambda: f"Éteins toutes les lumières de {r()}.",
        lambda: f"Baisse le chauffage {r_in()} de deux degrés.",
        lambda: f"Règle le thermostat {r_in()} sur {rng.choice(DEGREES)} degrés.",
        lambda: f"Ferme les volets de {r()}.",
        lambda: f"Ouvre les stores de {r()} à moitié.",
        lambda: f"Mets la lumière de {r()} en mode tamisé.",
        lambda: f"Est-ce que la porte {rng.choice(['du garage', 'd’entrée', 'de derrière', 'du cellier'])} est bien fermée ?",
        lambda: f"Lance l'aspirateur dans {r()}.",
        lambda: f"Allume la machine à café à {rng.choice(HOURS)}.",
        lambda: f"Quelle est la température dans {r()} ?",
        lambda: f"Coupe le chauffage pendant {rng.choice(['le week-end', 'les vacances', 'la nuit', 'trois jours'])}.",
    ]),
    "timers_alarms": (50, [
        lambda: f"Mets un minuteur de {rng.choice(MINUTES)} pour {rng.choice(['les pâtes', 'le gâteau', 'le riz', 'les œufs', 'la sieste', 'la lessive', 'le rôti', 'la pause'])}.",
        lambda: f"Réveille-moi à {rng.choice(HOURS)} {rng.choice(['demain', 'lundi', 'tous les jours de la semaine', 'samedi'])}.",
        lambda: f"Programme une alarme à {rng.choice(HOURS)}.",
        lambda: f"Combien de temps reste-t-il sur le minuteur {rng.choice(['des pâtes', 'du four', 'de la lessive'])} ?",
        lambda: f"Annule l'alarme de {rng.choice(HOURS)}.",
        lambda: f"Rappelle-moi de {rng.choice(['sortir le chien', 'arroser les plantes', 'prendre mes médicaments', 'appeler mamie', 'sortir les poubelles', 'fermer les fenêtres'])} dans {rng.choice(MINUTES)}.",
        lambda: f"Ajoute {rng.choice(MINUTES)} au minuteur.",
        lambda: f"Arrête la sonnerie.",
        lambda: f"Décale mon réveil de {rng.choice(['dix minutes', 'un quart d’heure', 'une demi-heure'])}.",
    ]),
    "music_radio": (50, [
        lambda: f"Mets la radio {rng.choice(RADIOS)}.",
        lambda: f"Joue {rng.choice(['une chanson', 'le dernier album', 'les plus grands succès'])} de {rng.choice(ARTISTS)}.",
        lambda: f"Lance une playlist {rng.choice(GENRES)}.",
        lambda: f"Mets {rng.choice(GENRES)} dans {r()}.",
        lambda: f"Monte le son.",
        lambda: f"Baisse un peu le volume de la musique.",
        lambda: f"C'est quoi cette chanson ?",
        lambda: f"Passe à la chanson suivante.",
        lambda: f"Qui chante cette chanson ?",
        lambda: f"Écoute {rng.choice(RADIOS)} dans {r()}.",
        lambda: f"Mets le podcast de {rng.choice(['la matinale', 'l’histoire de France', 'la science en question', 'cuisine du monde'])}.",
    ]),
    "calls_messages": (50, [
        lambda: f"Appelle {rng.choice(PEOPLE)} sur son portable.",
        lambda: f"Envoie un message à {rng.choice(PEOPLE)} pour dire que j'arrive dans {rng.choice(MINUTES)}.",
        lambda: f"Lis-moi mes derniers messages.",
        lambda: f"Est-ce que {rng.choice(PEOPLE)} m'a rappelé ?",
        lambda: f"Rappelle le dernier numéro.",
        lambda: f"Écris à {rng.choice(PEOPLE)} que le dîner est prêt.",
        lambda: f"Lance un appel vidéo avec {rng.choice(PEOPLE)}.",
        lambda: f"Dis à {rng.choice(PEOPLE)} que je serai en retard.",
        lambda: f"Réponds à {rng.choice(PEOPLE)} que c'est d'accord pour {rng.choice(DAYS)}.",
    ]),
    "transport_navigation": (55, [
        lambda: f"Quelle est la route la plus rapide pour aller {c()} ?",
        lambda: f"Combien de temps faut-il pour aller {c()} en voiture ?",
        lambda: f"À quelle heure part le prochain train pour {rng.choice(CITIES)[0]} ?",
        lambda: f"Guide-moi jusqu'à {rng.choice(PLACES)}.",
        lambda: f"Y a-t-il des bouchons sur le périphérique {rng.choice(['ce matin', 'en ce moment', 'ce soir'])} ?",
        lambda: f"Quand passe le prochain bus pour {rng.choice(PLACES)} ?",
        lambda: f"Le train de {rng.choice(HOURS)} pour {rng.choice(CITIES)[0]} est-il à l'heure ?",
        lambda: f"Trouve une station de recharge près de {rng.choice(PLACES)}.",
        lambda: "Combien de kilomètres y a-t-il entre {} et {} ?".format(*[city for city, _ in rng.sample(CITIES, 2)]),
        lambda: f"Évite les péages pour aller {c()}.",
        lambda: f"Où est-ce que je peux me garer près de {rng.choice(PLACES)} ?",
    ]),
    "agenda": (45, [
        lambda: f"Qu'est-ce que j'ai de prévu {rng.choice(DAYS)} ?",
        lambda: f"Ajoute {rng.choice(EVENTS)} {rng.choice(DAYS)} à {rng.choice(HOURS)}.",
        lambda: f"Déplace {rng.choice(EVENTS)} à {rng.choice(DAYS)}.",
        lambda: f"Annule {rng.choice(EVENTS)}.",
        lambda: f"À quelle heure est {rng.choice(EVENTS)} ?",
        lambda: f"Est-ce que je suis libre {rng.choice(DAYS)} à {rng.choice(HOURS)} ?",
        lambda: f"Rappelle-moi {rng.choice(EVENTS)} la veille au soir.",
        lambda: f"Quel jour tombe {rng.choice(['le quatorze juillet', 'Noël', 'le premier mai', 'la Toussaint', 'le onze novembre'])} cette année ?",
    ]),
    "shopping": (50, [
        lambda: f"Ajoute {rng.choice(ITEMS)} à la liste de courses.",
        lambda: f"Ajoute {rng.choice(ITEMS)} et {rng.choice(ITEMS)} à la liste de courses.",
        lambda: f"Enlève {rng.choice(ITEMS)} de la liste.",
        lambda: f"Qu'est-ce qu'il y a sur ma liste de courses ?",
        lambda: f"Est-ce que j'ai déjà mis {rng.choice(ITEMS)} sur la liste ?",
        lambda: f"Vide la liste de courses.",
        lambda: f"À quelle heure ferme {rng.choice(['le supermarché', 'la boulangerie', 'le marché', 'la pharmacie', 'le magasin de bricolage'])} {rng.choice(['ce soir', 'dimanche', 'le samedi'])} ?",
        lambda: f"Commande {rng.choice(['des piles', 'un filtre à eau', 'des ampoules', 'du papier pour l’imprimante', 'une cartouche d’encre'])} comme la dernière fois.",
    ]),
    "knowledge": (55, [
        lambda: f"Qui était {rng.choice(PERSONALITIES)} ?",
        lambda: f"En quelle année est né {rng.choice(PERSONALITIES)} ?",
        lambda: f"Quelle est la hauteur de {rng.choice(LANDMARKS)} ?",
        lambda: f"Où se trouve {rng.choice(LANDMARKS)} ?",
        lambda: f"Combien d'habitants y a-t-il {c()} ?",
        lambda: f"Quelle est la capitale {rng.choice(['du Sénégal', 'de la Suisse', 'du Canada', 'de la Belgique', 'du Cameroun', 'du Luxembourg', 'de Madagascar', 'du Mali', 'de la Côte d’Ivoire', 'du Maroc'])} ?",
        lambda: f"Raconte-moi l'histoire de {rng.choice(LANDMARKS)}.",
        lambda: f"Quel est le plus long fleuve de France ?",
        lambda: f"Combien font {rng.choice(['sept fois huit', 'douze fois douze', 'cent divisé par quatre', 'trois cent plus quarante-deux', 'dix-neuf moins six'])} ?",
        lambda: f"Comment dit-on {rng.choice(['bonjour', 'merci beaucoup', 'bonne nuit', 'à demain'])} en {rng.choice(['wolof', 'breton', 'alsacien', 'corse', 'créole', 'anglais', 'espagnol'])} ?",
        lambda: f"Quelle est la définition du mot {rng.choice(['sérendipité', 'procrastination', 'chouquette', 'dépanneur', 'septante', 'ambianceur', 'poudrerie'])} ?",
    ]),
}


def c():
    return rng.choice(CITIES)[1]


def w():
    return rng.choice(WHEN)


def r():
    return rng.choice(ROOMS)


def r_in():
    room = rng.choice(ROOMS)
    return "dans " + room


def main():
    lines = []
    seen = set()
    for domain, (quota, templates) in DOMAINS.items():
        count, attempts = 0, 0
        while count < quota and attempts < quota * 200:
            attempts += 1
            sentence = rng.choice(templates)().replace("’", "'")
            key = sentence.lower()
            # Common Voice's limit: fourteen words a sentence.
            if key in seen or len([w for w in sentence.split() if any(ch.isalpha() for ch in w)]) > 14:
                continue
            seen.add(key)
            lines.append(f"{domain}\t{sentence}")
            count += 1
    with open(os.path.join(HERE, "prompts.tsv"), "w", encoding="utf-8") as f:
        f.write("# Parloir example prompts: domain<TAB>sentence. Made by make_prompts.py.\n")
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} prompts in {os.path.join(HERE, 'prompts.tsv')}")


if __name__ == "__main__":
    main()
